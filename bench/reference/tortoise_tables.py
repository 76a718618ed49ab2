"""The tables as Tortoise models, declared the way Tortoise's documentation does: what the
plain-tortoise reference queries."""

from tortoise import fields
from tortoise.models import Model


class Item(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    description = fields.CharField(max_length=2000, null=True)
    price_cents = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "items"


class Account(Model):
    id = fields.IntField(primary_key=True)
    owner = fields.CharField(max_length=200)
    balance_cents = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "accounts"


class Transfer(Model):
    id = fields.IntField(primary_key=True)
    from_account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="transfers_out"
    )
    to_account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="transfers_in"
    )
    amount_cents = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "transfers"


class AuditEvent(Model):
    id = fields.IntField(primary_key=True)
    action = fields.CharField(max_length=100)
    subject_id = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_events"
