"""Development tokens: an issuer and a signing key that exist only on this machine.

With AUTH_ISSUER unset (never in production) the service accepts tokens this module signs, so
`uv run token --scope items:write` gives a working token without an identity provider. The key is
derived from SECRET_KEY (written to .env when the project was baked): nothing to store or rotate,
and a checkout without that .env cannot mint tokens its neighbour's server accepts.
"""

import hashlib
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from ..core.settings import Settings

DEV_ISSUER = "urn:{{ cookiecutter.project_slug }}:dev-token"
DEV_AUDIENCE = "{{ cookiecutter.project_slug }}"
DEV_KEY_ID = "dev"
DEV_ALGORITHM = "EdDSA"


class NoDevKey(Exception):
    """SECRET_KEY is unset, so there is no development key."""


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    if settings.secret_key is None:
        raise NoDevKey("SECRET_KEY is not set (it is in .env from when the project was baked)")
    seed = hashlib.sha256(b"dev-token:" + settings.secret_key.get_secret_value().encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_jwk(settings: Settings) -> dict[str, Any]:
    jwk: dict[str, Any] = OKPAlgorithm.to_jwk(signing_key(settings).public_key(), as_dict=True)
    return jwk | {"kid": DEV_KEY_ID, "use": "sig", "alg": DEV_ALGORITHM}


def audience(settings: Settings) -> str:
    return settings.auth_audience or DEV_AUDIENCE


def mint(settings: Settings, subject: str, scopes: list[str], lifetime: float) -> str:
    now = int(time.time())
    claims = {
        "iss": DEV_ISSUER,
        "aud": audience(settings),
        "sub": subject,
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + int(lifetime),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, signing_key(settings), algorithm=DEV_ALGORITHM, headers={"kid": DEV_KEY_ID})
