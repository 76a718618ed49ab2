"""The base image the Dockerfile names, python:<version>-slim: the real one when a registry gives it,
else a stand-in made with debootstrap (Debian bookworm and its own Python) under the same name."""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import ImageCheckError, last_line
from .podman import Podman

SUITE = "bookworm"  # what python:<version>-slim is built on
# What python:*-slim holds beyond a minimal Debian: Python with pip, `python` on PATH, CA certificates.
PACKAGES = ("python3", "python3-pip", "python-is-python3", "ca-certificates")


@dataclass(frozen=True)
class Base:
    reference: str
    python_version: str  # the major.minor the project is baked with
    description: str  # one line: which base, and why


def real(version: str) -> str:
    return f"docker.io/library/python:{version}-slim"


def provide(podman: Podman, version: str, work: Path) -> Base:
    """The real python:VERSION-slim if it can be pulled, else the stand-in (whose Python is bookworm's)."""
    reference = real(version)
    pulled = podman.call("pull", "-q", reference, what=f"pulling {reference}", timeout=300)
    if pulled.returncode == 0:
        podman.images.append(reference)
        return Base(reference, version, f"{reference}, pulled")
    # podman's error nests its causes ("initializing source ...: pinging ...: no such host"): the
    # innermost says why.
    reason = last_line(pulled.stderr).rsplit(": ", 1)[-1]
    rootfs = work / "standin"
    debootstrap(rootfs)
    standin_version = python_version(rootfs)
    reference = real(standin_version)
    import_image(podman, rootfs, reference)
    shutil.rmtree(rootfs)
    podman.images.append(reference)
    return Base(
        reference,
        standin_version,
        f"stand-in for python:{standin_version}-slim, debootstrapped Debian {SUITE} with its Python"
        f" {standin_version} ({real(version)} could not be pulled: {reason})",
    )


def import_image(podman: Podman, rootfs: Path, reference: str) -> None:
    changes = ["--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["python3"]']
    with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
        done = subprocess.run(
            ["podman", "import", *changes, "-", reference],
            stdin=tar.stdout,
            env=podman.env,
            capture_output=True,
            text=True,
            check=False,
        )
    if tar.returncode != 0 or done.returncode != 0:
        raise ImageCheckError(f"importing the stand-in base: {last_line(done.stderr)}")


def debootstrap(rootfs: Path) -> None:
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(rootfs)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1200, check=False)
    if done.returncode != 0:
        raise ImageCheckError(f"debootstrap {SUITE} failed: {last_line(done.stdout + done.stderr)}")
    # python:*-slim lets pip install into the system Python (the Dockerfile installs uv that way);
    # Debian marks its Python as externally managed. Drop that mark and the package caches.
    for marker in (rootfs / "usr" / "lib").glob("python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for path in (rootfs / cache).glob("*"):
            if path.is_file():
                path.unlink()


def python_version(rootfs: Path) -> str:
    found = sorted((rootfs / "usr" / "bin").glob("python3.[0-9]*"))
    names = [path.name.removeprefix("python") for path in found if path.name.count(".") == 1]
    if not names:
        raise ImageCheckError(f"the debootstrapped {SUITE} has no python3.X in /usr/bin")
    return names[-1]
