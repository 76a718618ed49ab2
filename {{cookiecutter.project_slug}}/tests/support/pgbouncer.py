"""A real PgBouncer in transaction pooling in front of the test database, for a test's app to use
with DB_PGBOUNCER=true: `pgbouncer_url`. Skipped where pgbouncer is not installed, failed in CI."""

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from .processes import free_port

PGBOUNCER = shutil.which("pgbouncer") or shutil.which("/usr/sbin/pgbouncer")


def run_as(database_url: str) -> str:
    """PgBouncer refuses to run as root. Run it as the owner of the server's unix socket (who can
    reach it), or as nobody for a TCP server."""
    socket_dir = parse_qs(urlsplit(database_url).query).get("host", [""])[0]
    if socket_dir.startswith("/"):
        return pwd.getpwuid(Path(socket_dir).stat().st_uid).pw_name
    return "nobody"


def bouncer_config(database_url: str, port: int, folder: Path) -> Path:
    target = urlsplit(database_url)
    socket_dir = parse_qs(target.query).get("host", [""])[0]
    host = socket_dir or target.hostname or "127.0.0.1"
    login = f"user={unquote(target.username or 'postgres')}"
    if target.password:
        login += f" password={unquote(target.password)}"
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={host} port={target.port or 5432} {login}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\ndefault_pool_size = 4\nmax_client_conn = 500\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
    )
    return config


@pytest.fixture
def pgbouncer_url(database_url: str) -> Iterator[str]:
    if PGBOUNCER is None:
        missing = "pgbouncer is not installed (Debian/Ubuntu: apt-get install pgbouncer)"
        if os.environ.get("CI") == "true":  # GitHub and GitLab set it: their job installs pgbouncer
            pytest.fail(missing)
        pytest.skip(missing)
    port = free_port()
    # Not under pytest's tmp_path: as root that is private to root, and PgBouncer runs as RUN_AS.
    with tempfile.TemporaryDirectory(prefix="pgbouncer-") as folder:
        config = bouncer_config(database_url, port, Path(folder))
        command = [PGBOUNCER, str(config)]
        if os.geteuid() == 0:
            user = run_as(database_url)
            shutil.chown(folder, user)
            command = [PGBOUNCER, "-u", user, str(config)]
        yield from serve(command, port, Path(folder), database_url)


def serve(command: list[str], port: int, folder: Path, database_url: str) -> Iterator[str]:
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT) as bouncer:  # noqa: S603
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    log = folder / "pgbouncer.log"
                    assert bouncer.poll() is None, log.read_text() if log.exists() else "pgbouncer exited"
                    assert time.monotonic() < deadline, "pgbouncer did not listen within 10 s"
                    time.sleep(0.05)
            target = urlsplit(database_url)
            user = target.username or getpass.getuser()
            yield f"postgresql://{user}:{target.password or ''}@127.0.0.1:{port}{target.path}"
        finally:
            bouncer.terminate()
            bouncer.wait(timeout=10)
