"""What each layer's `connect_once` raises, its reason in one line (the server's message or the
driver's, never the URL)."""


class Refused(Exception):
    """The database would not open a session: refused, unknown user or database, or no answer."""


class StatementFailed(Exception):
    """The session opened but the statement failed, with the SQLSTATE the server sent."""

    def __init__(self, reason: str, sqlstate: str | None) -> None:
        super().__init__(reason)
        self.sqlstate = sqlstate
