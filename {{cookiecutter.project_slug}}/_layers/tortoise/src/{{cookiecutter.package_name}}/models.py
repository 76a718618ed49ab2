"""Tables, as Tortoise models; migrations/ holds how the database gets there."""

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model


class Item(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    description = fields.CharField(max_length=2000, null=True)
    price_cents = fields.BigIntField()
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "items"
        constraints = (CheckConstraint(check="price_cents >= 0", name="ck_items_price_not_negative"),)


class Account(Model):
    id = fields.IntField(primary_key=True)
    owner = fields.CharField(max_length=200)
    balance_cents = fields.BigIntField()
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "accounts"
        constraints = (CheckConstraint(check="balance_cents >= 0", name="ck_accounts_balance_not_negative"),)


class Transfer(Model):
    id = fields.IntField(primary_key=True)
    # RESTRICT: money that moved keeps its record; an account with history cannot vanish under it.
    from_account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="transfers_out", on_delete=fields.RESTRICT, db_index=True
    )
    to_account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="transfers_in", on_delete=fields.RESTRICT, db_index=True
    )
    amount_cents = fields.BigIntField()
    created_at = fields.DatetimeField(db_default=Now())

    # Set by Tortoise from the foreign keys; declared for the type checker.
    from_account_id: int
    to_account_id: int

    class Meta:
        table = "transfers"
        constraints = (CheckConstraint(check="amount_cents > 0", name="ck_transfers_amount_positive"),)


class AuditEvent(Model):
    id = fields.IntField(primary_key=True)
    action = fields.CharField(max_length=100)
    subject_id = fields.IntField(db_index=True)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "audit_events"


class IdempotencyKey(Model):
    """A write's Idempotency-Key and the answer it got (api/idempotency.py), kept until expires_at."""

    id = fields.BigIntField(primary_key=True)
    scope = fields.TextField()  # the caller's subject; "" without auth
    key = fields.CharField(max_length=255)
    fingerprint = fields.CharField(max_length=64)
    # Set in the transaction that claimed the key, before it commits: a committed row has an answer.
    status_code = fields.SmallIntField(null=True)
    response_body = fields.TextField(null=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotency_keys"
        unique_together = (("scope", "key"),)
