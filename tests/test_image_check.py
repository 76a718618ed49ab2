"""`nox -s image` refuses a driver it does not know in one line, before it installs or builds anything.
(The check itself needs root and minutes: it is run by hand, `uv run nox -s image`.)"""

import subprocess
import sys

from .template import DRIVERS, TEMPLATE


def test_unknown_driver_is_one_line_and_nothing_else() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "image_check", "--only", "asyncpg,mysql"],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"error: unknown db_driver mysql; choose from {', '.join(DRIVERS)}"]
