"""The container tools, from Debian's packages, installed when one is missing."""

import os
import shutil
import subprocess

from .errors import ImageCheckError, last_line

# command -> the Debian package that brings it. podman builds with buildah's library; runc runs
# the containers; debootstrap makes the stand-in base; unshare gives the run its own mounts.
TOOLS = {"podman": "podman", "runc": "runc", "debootstrap": "debootstrap", "unshare": "util-linux"}


def ensure_tools() -> list[str]:
    """Install what is missing; returns the packages installed."""
    missing = sorted({package for command, package in TOOLS.items() if shutil.which(command) is None})
    if not missing:
        return []
    if shutil.which("apt-get") is None:
        raise ImageCheckError(f"{', '.join(missing)} missing, and no apt-get here to install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise ImageCheckError(f"{' '.join(command[:2])} failed: {last_line(done.stdout + done.stderr)}")
    return missing
