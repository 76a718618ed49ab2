"""The whole check: tools, a private namespace, the base image, then for each db_driver a bake, a
build and the checks against a database of its own; everything created is removed at the end."""

import argparse
import json
import os
import secrets
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import database
from bench.drivers import TEMPLATE, drivers

from . import base, build, checks, packages
from . import worker as job_worker
from .errors import ImageCheckError
from .isolation import INSIDE, confine, run_isolated
from .podman import Podman
from .project import bake, lock

MB = 1_000_000


def say(line: str) -> None:
    print(f"image: {line}", flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nox -s image --", description=__doc__)
    parser.add_argument("--only", help="comma-separated db_driver values (default: all)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        chosen = selected(parse(argv).only)
        if INSIDE in os.environ:
            check_all(chosen, Path(os.environ[INSIDE]))
            return 0
        if os.geteuid() != 0:
            raise ImageCheckError("run it as root: it installs packages, debootstraps a base and runs podman")
        if installed := packages.ensure_tools():
            say(f"installed from Debian's packages: {', '.join(installed)}")
        with tempfile.TemporaryDirectory(prefix="image-check-") as work:
            code = run_isolated(argv, Path(work))
        say(f"removed the work folder {work} (podman's storage, the bakes, the stand-in)")
        return code
    except ImageCheckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def selected(only: str | None) -> list[str]:
    every = drivers()
    chosen = every if not only else [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in every]
    if unknown:
        raise ImageCheckError(f"unknown db_driver {', '.join(unknown)}; choose from {', '.join(every)}")
    return chosen


def check_all(chosen: list[str], work: Path) -> None:
    podman = Podman(confine(work))
    server = os.environ.get("TEST_DATABASE_URL") or database.DEFAULT_SERVER
    if reason := database.answers(server):
        raise ImageCheckError(f"PostgreSQL at {database.address(server)} does not answer: {reason}")
    created: list[str] = []
    run_id = secrets.token_hex(4)
    try:
        python_version = json.loads((TEMPLATE / "cookiecutter.json").read_text())["python_version"][0]
        provided = base.provide(podman, python_version, work)
        say(f"base: {provided.description}")
        mounts = build.ca_mounts(work)
        for number, driver in enumerate(chosen):
            project = bake(driver, provided.python_version, work)
            if number == 0:  # the same Dockerfile for every driver: once is enough
                line = build.refused_without_lock(
                    podman, project, f"localhost/image-check-nolock:{run_id}", mounts
                )
                say(f"without uv.lock (a fresh bake) the build stops with: {line}")
            lock(project, work)
            with own_database(server, driver, created) as url:
                check_driver(podman, driver, project, provided, mounts, url)
        say(f"all {len(chosen)} images passed: {', '.join(chosen)}")
    finally:
        containers, images = podman.remove_all()
        say(f"removed: containers {containers}, images {images}, databases {len(created)}")


@contextmanager
def own_database(server: str, driver: str, created: list[str]) -> Iterator[str]:
    name = f"image_{driver.replace('-', '_')}_{secrets.token_hex(4)}"
    url = database.create(server, name)
    created.append(name)
    try:
        yield url
    finally:
        database.drop(server, name)


def check_driver(
    podman: Podman, driver: str, project: Path, provided: base.Base, mounts: list[str], url: str
) -> None:
    tag = f"localhost/image-check-{driver}:{secrets.token_hex(4)}"
    seconds = build.build(podman, project, tag, mounts)
    build.healthcheck(podman, tag)
    size = podman.image_size(tag) / MB
    over = size - podman.image_size(provided.reference) / MB
    say(f"{driver}: built in {seconds:.0f} s; image {size:.0f} MB, {over:.0f} MB over the base")

    port = free_port()
    flags = checks.run_flags(url, port)
    checks.migrate(podman, tag, flags)
    app = checks.app_files(podman, tag)
    served = checks.serve(podman, tag, flags, port)
    checks.wait_ready(podman, served)
    checks.write_and_read(served)
    served_uid = checks.server_uid(podman, served)
    if served_uid == 0:
        raise ImageCheckError("serve runs as root")
    checks.healthy(podman, served)
    say(
        f"{driver}: migrate exit 0, then serve: /health/ready 200, POST /items 201 and GET it 200,"
        " HEALTHCHECK healthy; root filesystem read-only (no /tmp either)"
    )
    say(f"{driver}: serve runs as uid {served_uid}; /app holds {', '.join(app)}, none of it writable by it")
    worker = job_worker.start(podman, tag, flags, free_port())
    checks.wait_ready(podman, worker, "worker")
    transfer_id = job_worker.transfer(served)
    job_worker.ran_its_job(podman, worker, transfer_id)
    job_worker.stops_on_sigterm(podman, worker)
    say(
        f"{driver}: worker from the same image: /health/ready 200 on WORKER_PORT, ran the job of"
        f" transfer {transfer_id} that serve answered 201, exit 0 on SIGTERM"
    )
    elapsed = checks.sigterm(podman, served)
    say(
        f"{driver}: SIGTERM: /health/ready 503 while /health/live 200, exit 0 after {elapsed:.1f} s"
        f" (drain {checks.DRAIN} s + timeout {checks.TIMEOUT} s)"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
