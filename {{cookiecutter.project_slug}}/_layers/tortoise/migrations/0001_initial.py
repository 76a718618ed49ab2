from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.db_defaults import Now
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import CheckConstraint


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Account",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("owner", fields.CharField(max_length=200)),
                ("balance_cents", fields.BigIntField()),
                ("created_at", fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={"table": "accounts", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("action", fields.CharField(max_length=100)),
                ("subject_id", fields.IntField(db_index=True)),
                ("created_at", fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={"table": "audit_events", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Item",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(unique=True, max_length=200)),
                ("description", fields.CharField(null=True, max_length=2000)),
                ("price_cents", fields.BigIntField()),
                ("created_at", fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={"table": "items", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Transfer",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "from_account",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="from_account_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="transfers_out",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "to_account",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="to_account_id",
                        db_index=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="transfers_in",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount_cents", fields.BigIntField()),
                ("created_at", fields.DatetimeField(db_default=Now(), auto_now=False, auto_now_add=False)),
            ],
            options={"table": "transfers", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        # Tortoise 1.1 writes check constraints into CreateModel's options but does not create them
        # (tortoise-orm issue 2272), so they come as separate AddConstraint operations, as
        # makemigrations writes them for an existing table.
        ops.AddConstraint(
            model_name="Account",
            constraint=CheckConstraint(check="balance_cents >= 0", name="ck_accounts_balance_not_negative"),
        ),
        ops.AddConstraint(
            model_name="Item",
            constraint=CheckConstraint(check="price_cents >= 0", name="ck_items_price_not_negative"),
        ),
        ops.AddConstraint(
            model_name="Transfer",
            constraint=CheckConstraint(check="amount_cents > 0", name="ck_transfers_amount_positive"),
        ),
    ]
