"""Log lines: JSON or readable, each carrying the id of the request it was written for."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from .settings import Settings

# The id of the request being served in this task (and the worker threads it hands work to).
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

# The service's own loggers are all below this one (modules log under their __name__).
APP_LOGGER = "{{ cookiecutter.package_name }}"
HANDLER_NAME = APP_LOGGER
# Every attribute a bare LogRecord has; anything else on a record came from `extra=` or a filter.
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
# The server's own request line is replaced by the app's, which carries the request id.
QUIET_LOGGERS = ("uvicorn.access",)
SERVER_LOGGERS = ("uvicorn", "uvicorn.error")


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """What the code passed in `extra=`, plus the request id when there is one."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in STANDARD_ATTRIBUTES and not key.startswith("_") and value is not None
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's own fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    """`12:00:01 INFO    orders.http  request  method=GET status=200 request_id=...`"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s  %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = "  ".join(f"{key}={value}" for key, value in fields(record).items())
        return f"{line}  {extras}" if extras else line


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a line is written, not when the handler was made: whoever
    redirects stderr (contextlib.redirect_stderr, a test runner's capture) gets the lines after."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


class RecordFactory:
    """Stamps each record with the current request id as it is created, so every handler (pytest's
    too) sees it, whichever logger wrote the record."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.wrapped(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record


def configure(settings: Settings) -> None:
    """Send every log line through one handler on stderr in the chosen format. Safe to call again
    (each app a test builds calls it): the previous handler of ours is replaced, others are kept."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, RecordFactory):
        logging.setLogRecordFactory(RecordFactory(factory))

    handler = StderrHandler()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else ConsoleFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    # The root logger keeps its WARNING level: libraries stay quiet unless something is wrong (a
    # driver's INFO lines may hold SQL parameters). The app's own loggers speak at LOG_LEVEL.
    root.addHandler(handler)
    logging.getLogger(APP_LOGGER).setLevel(settings.log_level)
    for name in SERVER_LOGGERS:  # through our handler, not uvicorn's own (unformatted, no request id)
        server = logging.getLogger(name)
        server.handlers.clear()
        server.propagate = True
        server.setLevel(settings.log_level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
