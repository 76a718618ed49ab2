"""The AUTH_* settings: which provider signs the tokens, for whom, and how its keys are kept; and
SECRET_KEY, the seed of the development tokens' key."""

from typing import Self

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

# Asymmetric only: the provider keeps the private key and publishes the public one. An HMAC
# algorithm would need a shared secret, and accepting one beside public keys is what lets a token
# "signed" with a public key pass (algorithm confusion).
ASYMMETRIC_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
URL_SCHEMES = ("https://", "http://")
# The shortest SECRET_KEY accepted (which refuses .env.example's `change-me` too); the bake writes
# token_urlsafe(32), 43 characters.
SECRET_KEY_MIN_LENGTH = 32


class AuthSettings(BaseModel):
    """Mixed into Settings; every field reads from its name in capitals (AUTH_ISSUER, SECRET_KEY)."""

    # Unset outside production: tokens from `uv run token` (auth/dev.py) are accepted instead.
    auth_issuer: str | None = Field(None, description="the provider's issuer URL, the tokens' `iss`")
    auth_audience: str | None = Field(None, description="this service's name at the provider, `aud`")
    auth_jwks_url: str | None = Field(
        None, description="where the keys are; unset: read from the issuer's OpenID configuration"
    )
    auth_algorithms: list[str] = Field(default_factory=lambda: list(ASYMMETRIC_ALGORITHMS))
    auth_leeway: float = Field(30.0, ge=0, le=300, description="seconds of clock skew allowed")
    auth_jwks_lifetime: float = Field(
        600.0, gt=0, le=86_400, description="seconds keys are used before they are fetched again"
    )
    auth_jwks_min_refresh: float = Field(
        10.0, gt=0, le=3600, description="seconds at least between two fetches of the keys"
    )
    # Only the development tokens' key is derived from it (auth/dev.py): read while AUTH_ISSUER is
    # unset, never in production, which requires a provider, so nothing requires it to be set.
    secret_key: SecretStr | None = None

    @field_validator("auth_issuer", "auth_audience", "auth_jwks_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `AUTH_ISSUER=` (compose passes an unset variable through empty) means unset.
        return None if value == "" else value

    @field_validator("auth_issuer", "auth_jwks_url")
    @classmethod
    def _a_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(URL_SCHEMES):
            raise ValueError("must be an https:// URL")
        return url

    @field_validator("secret_key")
    @classmethod
    def _a_strong_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        # A key anyone can guess mints tokens anyone can forge; its value never enters the message.
        if secret is not None and len(secret.get_secret_value()) < SECRET_KEY_MIN_LENGTH:
            raise ValueError(
                f"must be a random value of at least {SECRET_KEY_MIN_LENGTH} characters, e.g."
                " `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return secret

    @field_validator("auth_algorithms")
    @classmethod
    def _asymmetric_only(cls, algorithms: list[str]) -> list[str]:
        refused = [name for name in algorithms if name not in ASYMMETRIC_ALGORITHMS]
        if refused or not algorithms:
            raise ValueError(f"must be a list of asymmetric algorithms ({', '.join(ASYMMETRIC_ALGORITHMS)})")
        return algorithms

    @model_validator(mode="after")
    def _production_needs_a_provider(self) -> Self:
        if getattr(self, "environment", None) == "production":
            missing = [
                name
                for name, value in (("AUTH_ISSUER", self.auth_issuer), ("AUTH_AUDIENCE", self.auth_audience))
                if value is None
            ]
            if missing:
                verb = "is" if len(missing) == 1 else "are"
                raise ValueError(
                    f"{' and '.join(missing)} {verb} required in production (the identity provider)"
                )
        return self
