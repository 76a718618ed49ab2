"""An identity provider for the tests: a real HTTP server on a local port publishing an OpenID
configuration and a JWKS, with keys made for this run. It counts what it serves, can rotate its
keys and can go down and come back on the same port."""

import functools
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from {{ cookiecutter.package_name }}.auth.scopes import WRITE_SCOPES

from .probe import PROBE_SCOPE

AUDIENCE = "{{ cookiecutter.project_slug }}-tests"
CONFIGURATION_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/protocol/openid-connect/certs"
EVERY_SCOPE = sorted({*WRITE_SCOPES.values(), PROBE_SCOPE})
RUN_TOKEN_LIFETIME = 6 * 3600  # seconds; longer than any run


class SigningKey:
    """A private key the provider signs with, and the public JWK it publishes for it."""

    def __init__(self, kid: str, algorithm: str = "RS256") -> None:
        self.kid = kid
        self.algorithm = algorithm
        self.private: Any = (
            ec.generate_private_key(ec.SECP256R1())
            if algorithm == "ES256"
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )

    def jwk(self) -> dict[str, Any]:
        to_jwk = ECAlgorithm.to_jwk if self.algorithm == "ES256" else RSAAlgorithm.to_jwk
        public: dict[str, Any] = to_jwk(self.private.public_key(), as_dict=True)
        return public | {"kid": self.kid, "use": "sig", "alg": self.algorithm}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid, **header})


class Provider:
    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)  # signs with the first; publishes all of them
        self.served: Counter[str] = Counter()
        self.port = 0  # chosen at the first start, kept after
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/realms/tests"

    @property
    def jwks_url(self) -> str:
        return self.issuer + JWKS_PATH

    def fetches(self) -> int:
        """How many times the JWKS was served."""
        with self._lock:
            return self.served[JWKS_PATH]

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler_for(self))
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        """Down: the port refuses connections until `start` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, path: str) -> dict[str, Any] | None:
        with self._lock:
            self.served[path.removeprefix("/realms/tests")] += 1
        if path == "/realms/tests" + CONFIGURATION_PATH:
            return {"issuer": self.issuer, "jwks_uri": self.jwks_url}
        if path == "/realms/tests" + JWKS_PATH:
            return {"keys": [key.jwk() for key in self.keys]}
        return None

    def claims(self, scopes: list[str] | tuple[str, ...] = (), **changes: Any) -> dict[str, Any]:
        """A valid token's claims; `changes` override them, and a change to None removes a claim."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "caller-1",
            "iat": now,
            "exp": now + 3600,
            "scope": " ".join(scopes),
        }
        claims |= changes
        return {name: value for name, value in claims.items() if value is not None}

    def token(
        self, scopes: list[str] | tuple[str, ...] = (), *, key: SigningKey | None = None, **changes: Any
    ) -> str:
        return (key or self.keys[0]).sign(self.claims(scopes, **changes))


def handler_for(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            document = provider.answer(self.path)
            body = json.dumps(document).encode()
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test output is not the place for an access log

    return Handler


# The suite's provider (started by auth_plugin.py for the whole run), whose tokens the
# contract tests carry.
SUITE = Provider(SigningKey("suite-1"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@functools.cache
def caller_headers() -> dict[str, str]:
    """The headers of a caller granted every scope by the suite's provider: one token for the run
    (signing is the costly part of a token, and each test's client asks for one)."""
    return bearer(SUITE.token(EVERY_SCOPE, exp=int(time.time()) + RUN_TOKEN_LIFETIME))
