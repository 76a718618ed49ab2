"""Configuration from the environment (and .env): every knob the service has, validated at start."""

from functools import lru_cache
from typing import Any, Literal, Self

from pydantic import Field, {{ "HttpUrl, " if cookiecutter.jobs == "postgres" }}SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

{% if cookiecutter.auth == "jwt" -%}
from .auth_settings import AuthSettings
{% endif -%}
from .database_url import normalise


def in_production(data: dict[str, Any]) -> bool:
    return bool(data.get("environment") == "production")


class Settings(BaseSettings{{ ", AuthSettings" if cookiecutter.auth == "jwt" }}):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    # A secret so the URL's password never shows in a repr, a log line or an error.
    database_url: SecretStr | None = None
    db_pool_size: int = Field(10, ge=1, le=500)
    db_max_overflow: int = Field(5, ge=0, le=500)
    db_pool_timeout: float = Field(5.0, gt=0, le=300, description="seconds to wait for a free connection")
    # A connection the pool opens stays open while it is used: only one left unused this long closes,
    # and never below DB_POOL_SIZE. Steady load then opens no new sessions, whatever its concurrency.
    db_pool_idle_timeout: float = Field(
        300.0, gt=0, le=86_400, description="seconds a connection beyond DB_POOL_SIZE may stay unused"
    )
    db_statement_timeout: float = Field(10.0, gt=0, le=3600, description="seconds one statement may run")
    db_connect_timeout: float = Field(5.0, gt=0, le=300)
    db_pgbouncer: bool = Field(False, description="behind PgBouncer in transaction mode")
    ready_timeout: float = Field(2.0, gt=0, le=60, description="seconds /health/ready waits for the database")
    # A test run prints only what went wrong, not a line per request.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default_factory=lambda data: "WARNING" if data.get("environment") == "test" else "INFO"
    )
    # JSON lines for a log collector in production, readable lines at a terminal otherwise.
    log_format: Literal["json", "console"] = Field(
        default_factory=lambda data: "json" if in_production(data) else "console"
    )
    metrics_enabled: bool = Field(True, description="serve Prometheus metrics at /metrics")
    tracing_enabled: bool = Field(False, description="OpenTelemetry spans; OTEL_* variables say where to")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # uvicorn reads the same variable: one number for the workers it starts and the budget below.
    web_concurrency: int = Field(1, ge=1, le=64, description="worker processes per instance")
    replicas: int = Field(1, ge=1, le=1000, description="instances at most (an autoscaler's maximum)")
    db_connection_budget: int = Field(
        97, ge=1, le=100_000, description="connections every instance together may open"
    )
    # Seconds readiness answers 503 after SIGTERM while requests are still served, so a load balancer
    # stops sending new ones before the server stops listening. Nothing to wait for outside production.
    shutdown_drain: float = Field(
        default_factory=lambda data: 5.0 if in_production(data) else 0.0, ge=0, le=300
    )
    shutdown_timeout: int = Field(20, ge=1, le=3600, description="seconds in-flight requests get")
    cors_origins: list[str] = Field(default_factory=list)
    # A write sent again with its Idempotency-Key within this time gets the first answer back.
    idempotency_key_ttl: float = Field(
        86_400.0, gt=0, le=31_536_000, description="seconds an Idempotency-Key is kept (`forget-keys`)"
    )
{%- if cookiecutter.jobs == "postgres" %}
    # The worker (`uv run worker`): see the README's jobs section.
    jobs_concurrency: int = Field(5, ge=1, le=500, description="jobs one worker runs at once")
    jobs_max_attempts: int = Field(5, ge=1, le=100, description="runs before a failing job is dead")
    jobs_retry_delay: float = Field(1.0, gt=0, le=3600, description="seconds before the first retry")
    jobs_retry_max_delay: float = Field(300.0, gt=0, le=86_400, description="longest wait between retries")
    jobs_lease: float = Field(
        30.0, ge=1, le=3600, description="seconds without a heartbeat before a claimed job is taken again"
    )
    jobs_poll_interval: float = Field(
        2.0, gt=0, le=300, description="seconds between looks for new jobs without a notification"
    )
    # The worker's own HTTP port, on HOST: /health/live, /health/ready and /metrics.
    worker_port: int = Field(8001, ge=1, le=65535)
    # Where a transfer.completed job posts its notification; unset, the job only logs it.
    transfer_webhook_url: HttpUrl | None = None
    webhook_timeout: float = Field(10.0, gt=0, le=300, description="seconds a webhook call may take")

    @field_validator("transfer_webhook_url", mode="before")
    @classmethod
    def _unset_when_empty(cls, url: object) -> object:
        return None if isinstance(url, str) and not url.strip() else url  # `TRANSFER_WEBHOOK_URL=`: unset
{%- endif %}

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is None or not url.get_secret_value().strip():  # `DATABASE_URL=` in .env: unset
            return None
        return SecretStr(normalise(url.get_secret_value()))

    @model_validator(mode="after")
    def _production_needs_a_database(self) -> Self:
        if self.environment == "production" and self.database_url is None:
            raise ValueError("DATABASE_URL is required in production")
        return self

    @model_validator(mode="after")
    def _connections_fit_the_budget(self) -> Self:
        wanted = self.replicas * self.web_concurrency * self.pool_capacity
        if wanted > self.db_connection_budget:
            raise ValueError(
                f"REPLICAS {self.replicas} x WEB_CONCURRENCY {self.web_concurrency}"
                f" x (DB_POOL_SIZE {self.db_pool_size} + DB_MAX_OVERFLOW {self.db_max_overflow})"
                f" = {wanted} connections, over DB_CONNECTION_BUDGET {self.db_connection_budget}"
            )
        return self

    @property
    def pool_capacity(self) -> int:
        return self.db_pool_size + self.db_max_overflow

    def postgres_url(self) -> str:
        """The plain postgresql:// URL; each driver adapts it to its own scheme."""
        if self.database_url is None:
            raise SettingsError("DATABASE_URL is not set (`uv run dev` starts a local database)")
        return self.database_url.get_secret_value()


class SettingsError(Exception):
    """A configuration the service cannot start with; the message is one line for the operator."""


def one_line(error: ValidationError) -> str:
    """The first problem pydantic found, as the one line an operator reads."""
    first = error.errors()[0]
    message = first["msg"].removeprefix("Value error, ")
    if not first["loc"]:  # a rule across settings, such as what production requires
        return message
    name = "_".join(str(part) for part in first["loc"]).upper()
    return f"invalid setting {name}: {message}"


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(one_line(error)) from None


def settings_or_exit(*, url_required: bool = False) -> Settings:
    """The settings every entry point starts from; a bad one ends the process with its one line."""
    try:
        settings = get_settings()
        if url_required:  # the servers; only `dev` and the migration tools fall back to the local database
            settings.postgres_url()
    except SettingsError as error:
        raise SystemExit(f"error: {error}") from None
    return settings
