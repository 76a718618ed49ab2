"""`uv run token --scope items:write`: a development token, for curl and Swagger's Authorize.

Signed with the development key (auth/dev.py), which the service accepts only while AUTH_ISSUER is
unset, and never in production.
"""

import argparse
import sys

from ..core.settings import settings_or_exit
from . import dev
from .scopes import WRITE_SCOPES


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="token", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scope",
        action="append",
        default=[],
        metavar="SCOPE",
        help=f"a scope to grant (repeat for more); writes need one of: {', '.join(WRITE_SCOPES.values())}",
    )
    parser.add_argument("--subject", default="dev-user", help="the token's `sub` (default: dev-user)")
    parser.add_argument("--minutes", type=int, default=60, help="lifetime in minutes (default: 60)")
    options = parser.parse_args(argv)
    settings = settings_or_exit()
    if settings.environment == "production":
        raise SystemExit(
            "error: `token` mints development tokens; in production tokens come from the provider"
        )
    if settings.auth_issuer is not None:
        raise SystemExit(
            f"error: AUTH_ISSUER is set ({settings.auth_issuer}): the service accepts only that provider's"
            " tokens; unset it to use development tokens"
        )
    if not 1 <= options.minutes <= 24 * 60:
        raise SystemExit("error: --minutes must be between 1 and 1440")
    try:
        token = dev.mint(settings, options.subject, options.scope, options.minutes * 60)
    except dev.NoDevKey as error:
        raise SystemExit(f"error: {error}") from None
    sys.stdout.write(token + "\n")
