"""jobs: pgqueuer's queue tables, trigger and notify function."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from {{ cookiecutter.package_name }}.jobs.schema import install_statements, uninstall_statements


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [ops.RunSQL(install_statements(), reverse_sql=uninstall_statements())]
