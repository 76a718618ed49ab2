"""jobs: pgqueuer's queue tables, trigger and notify function

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

from alembic import op

from {{ cookiecutter.package_name }}.jobs.schema import install_statements, uninstall_statements

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in install_statements():
        op.execute(statement)


def downgrade() -> None:
    for statement in uninstall_statements():
        op.execute(statement)
