"""`podman build` of a baked project, as a user of podman would run it, plus what this machine needs
to reach PyPI from inside the build: the host's CA bundle, mounted for the build only."""

import os
import re
import subprocess
import time
from pathlib import Path

from .errors import ImageCheckError, last_line
from .podman import Podman

BUNDLE_IN_IMAGE = "/etc/ssl/certs/ca-certificates.crt"  # where Debian, and so python:*-slim, keeps it
# A failed RUN's own error line (uv's `error: ...`) says more than podman's closing one.
ERROR_LINE = re.compile(r"^(error|Error:)[: ]", re.MULTILINE)


def ca_mounts(work: Path) -> list[str]:
    """Volumes for every RUN of the build: the host's CA bundle over the system's, which pip
    (/etc/pip.conf) and uv (/etc/uv/uv.toml, system-certs) are told to trust. Where TLS is
    intercepted, only the host's bundle holds the interceptor's root. Their content never lands in
    a layer; buildah leaves the mount points there, /etc/pip.conf and /etc/uv/uv.toml empty, which
    configure nothing."""
    bundle = Path(os.environ.get("SSL_CERT_FILE") or BUNDLE_IN_IMAGE)
    if not bundle.is_file():
        return []
    pip_conf = work / "pip.conf"
    pip_conf.write_text(f"[global]\ncert = {BUNDLE_IN_IMAGE}\n")
    uv_toml = work / "uv.toml"
    uv_toml.write_text("system-certs = true\n")
    return [
        *("--volume", f"{bundle}:{BUNDLE_IN_IMAGE}:ro"),
        *("--volume", f"{pip_conf}:/etc/pip.conf:ro"),
        *("--volume", f"{uv_toml}:/etc/uv/uv.toml:ro"),
    ]


def build(podman: Podman, project: Path, tag: str, mounts: list[str]) -> float:
    """Seconds the build took. `--format docker`: the OCI format would drop HEALTHCHECK."""
    started = time.monotonic()
    done = attempt(podman, project, tag, mounts)
    if done.returncode != 0:
        raise ImageCheckError(f"building {tag} failed: {reason(done)}")
    podman.images.append(tag)
    return time.monotonic() - started


def refused_without_lock(podman: Podman, project: Path, tag: str, mounts: list[str]) -> str:
    """A project with no uv.lock yet must fail to build, saying so in a line: that line."""
    done = attempt(podman, project, tag, mounts)
    if done.returncode == 0:
        podman.images.append(tag)
        raise ImageCheckError("the image built without uv.lock: it would hold unpinned dependencies")
    line = reason(done)
    if "uv.lock" not in line:
        raise ImageCheckError(f"without uv.lock the build failed for another reason: {line}")
    return line


def reason(done: subprocess.CompletedProcess[str]) -> str:
    output = done.stdout + done.stderr
    errors = [line.strip() for line in output.splitlines() if ERROR_LINE.match(line)]
    return (errors or [last_line(output)])[0]


def attempt(podman: Podman, project: Path, tag: str, mounts: list[str]) -> subprocess.CompletedProcess[str]:
    return podman.call(
        "build",
        "--format",
        "docker",
        "--pull=never",  # the base provided for this run, real or stand-in
        "--network",
        "host",  # RUN steps reach PyPI as the host does
        *mounts,
        "--tag",
        tag,
        str(project),
        what=f"building {tag}",
        timeout=1200,
    )


def healthcheck(podman: Podman, image: str) -> str:
    """The image's HEALTHCHECK command, or an error if the build dropped it."""
    test = podman.run("image", "inspect", "--format", "{{json .Config.Healthcheck}}", image, what="inspect")
    if test in {"", "null"}:
        raise ImageCheckError(f"{image} has no HEALTHCHECK: was it built in the OCI format?")
    return test
