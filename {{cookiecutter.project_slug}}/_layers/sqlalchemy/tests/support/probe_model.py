"""The probe's table (probe.py) as an ORM class, for the tests of how the layer writes with the ORM
(`session.add`, `flush`, `commit`). Its own metadata, so migrations never see it."""

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class ProbeBase(DeclarativeBase):
    pass


class ProbeRecord(ProbeBase):
    __tablename__ = "rows"
    __table_args__ = {"schema": "test_probe"}  # noqa: RUF012  # SQLAlchemy reads it as a class attribute

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)
    n: Mapped[int] = mapped_column(default=0)
