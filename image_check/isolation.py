"""Podman confined to one temporary folder, so that the host's container storage and directories
stay as they were: storage and configuration live in the folder, and the check runs in a private
mount namespace where the paths podman writes whatever it is told (its blob-info cache, netavark's
and runc's state, /var/tmp) are tmpfs mounts that vanish with the run."""

import contextlib
import os
import resource
import subprocess
import sys
from pathlib import Path

from .errors import ImageCheckError

INSIDE = "IMAGE_CHECK_WORK"  # set for the run in the namespace: its work folder
HIDDEN = tuple(
    Path(path)
    for path in ("/var/lib/containers", "/run/containers", "/run/runc", "/var/tmp")  # noqa: S108 (hidden, not used)
)


def run_isolated(argv: list[str], work: Path) -> int:
    """`python -m image_check ARGV` again, in a private mount namespace; its exit code."""
    # A mount needs its mount point; one made here is removed again (it stays empty on the host).
    created = [path for path in HIDDEN if not path.exists()]
    for path in created:
        path.mkdir(parents=True)
    command = ["unshare", "--mount", "--propagation", "private", sys.executable, "-m", "image_check"]
    try:
        with subprocess.Popen([*command, *argv], env={**os.environ, INSIDE: str(work)}) as child:
            while True:
                try:
                    return child.wait()
                except KeyboardInterrupt:
                    continue  # the child got the same Ctrl-C: it removes what it made, then exits
    finally:
        for path in reversed(created):
            with contextlib.suppress(OSError):
                path.rmdir()


def confine(work: Path) -> dict[str, str]:
    """Inside the namespace: tmpfs over HIDDEN, podman's configuration in WORK, and the environment
    every podman command runs with."""
    for path in HIDDEN:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "mode=0755", "image-check", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["(no output)"])[0]  # mount's reason comes first
            raise ImageCheckError(f"cannot mount a private tmpfs on {path}: {first}")
    conf = work / "conf"
    conf.mkdir()
    (work / "tmp").mkdir()
    containers_conf = conf / "containers.conf"
    containers_conf.write_text(containers_settings(work))
    storage_conf = conf / "storage.conf"
    storage_conf.write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{work}/storage"\nrunroot = "{work}/run/storage"\n'
    )
    return {
        **os.environ,
        "CONTAINERS_CONF": str(containers_conf),
        "CONTAINERS_STORAGE_CONF": str(storage_conf),
        "TMPDIR": str(work / "tmp"),  # buildah's cache mounts and temporary files
    }


def containers_settings(work: Path) -> str:
    # As root podman raises the containers' limits to 1048576, which runc cannot set where the host
    # allows fewer: here 20000 open files, and more than 32768 processes are refused although no
    # limit shows it. These are plenty for one service.
    nofile = min(hard_limit(resource.RLIMIT_NOFILE), 65536)
    nproc = min(hard_limit(resource.RLIMIT_NPROC), 32768)
    return (
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'
        "[engine]\n"
        'runtime = "runc"\n'
        'cgroup_manager = "cgroupfs"\n'  # no systemd to ask
        'events_logger = "none"\n'
        f'tmp_dir = "{work}/run/libpod"\n'
        f'image_copy_tmp_dir = "{work / "tmp"}"\n'
        "[network]\n"
        f'network_config_dir = "{work}/conf/networks"\n'
    )


def hard_limit(which: int) -> int:
    limit = resource.getrlimit(which)[1]
    return 1048576 if limit == resource.RLIM_INFINITY else limit
