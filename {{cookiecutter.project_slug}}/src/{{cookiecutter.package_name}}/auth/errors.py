"""Refusals in the service's one JSON error shape, with the headers RFC 6750 asks of a bearer API."""

import enum

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..core.errors import AppError, error_body


class Reason(enum.Enum):
    """Why a token was refused: told to the caller (never the token or its claims)."""

    MALFORMED = "The token is not a well-formed JWT."
    ALGORITHM = "The token's signing algorithm is not accepted."
    UNKNOWN_KEY = "The token names a key the identity provider does not publish."
    SIGNATURE = "The token's signature does not verify."
    EXPIRED = "The token has expired."
    NOT_YET_VALID = "The token is not valid yet."
    ISSUER = "The token was issued by another issuer."
    AUDIENCE = "The token is meant for another audience."
    MISSING_CLAIM = "The token lacks a required claim (exp, iss, aud, sub)."


class AuthError(AppError):
    def headers(self) -> dict[str, str]:
        return {}


class NotAuthenticated(AuthError):
    status_code = 401
    code = "not_authenticated"
    DETAIL = "A bearer token is required (Authorization: Bearer <token>)."

    def __init__(self) -> None:
        super().__init__(self.DETAIL)

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class InvalidToken(AuthError):
    status_code = 401
    code = "invalid_token"

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{self.detail}"'}


class MissingScope(AuthError):
    status_code = 403
    code = "insufficient_scope"

    def __init__(self, scopes: list[str]) -> None:
        super().__init__(f"This needs the scope {' '.join(scopes)}.")
        self.scopes = scopes

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(self.scopes)}"'}


class IdentityUnavailable(AuthError):
    status_code = 503
    code = "identity_unavailable"
    DETAIL = "The identity provider's keys cannot be fetched; retry shortly."

    def __init__(self, retry_after: int) -> None:
        super().__init__(self.DETAIL)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def install(app: FastAPI) -> None:
    async def refused(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AuthError)
        return JSONResponse(
            error_body(exc.code, exc.detail), status_code=exc.status_code, headers=exc.headers()
        )

    app.add_exception_handler(AuthError, refused)
