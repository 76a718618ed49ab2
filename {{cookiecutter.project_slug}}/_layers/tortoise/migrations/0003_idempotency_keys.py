"""idempotency keys: each write's Idempotency-Key and the answer it got."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "{{ "0002_jobs" if cookiecutter.jobs == "postgres" else "0001_initial" }}")]

    initial = False

    operations = [
        ops.CreateModel(
            name="IdempotencyKey",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("scope", fields.TextField(unique=False)),
                ("key", fields.CharField(max_length=255)),
                ("fingerprint", fields.CharField(max_length=64)),
                ("status_code", fields.SmallIntField(null=True)),
                ("response_body", fields.TextField(null=True, unique=False)),
                ("expires_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "idempotency_keys",
                "app": "models",
                "unique_together": (("scope", "key"),),
                "pk_attr": "id",
                "table_description": (
                    "A write's Idempotency-Key and the answer it got (api/idempotency.py),"
                    " kept until expires_at."
                ),
            },
            bases=["Model"],
        ),
    ]
