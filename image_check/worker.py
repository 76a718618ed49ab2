"""The worker from the app's image: `worker` on the same read-only root, ready on WORKER_PORT, runs
the job of a transfer `serve` answered 201 (its log line names the transfer), and on SIGTERM exits 0."""

import json
import time

from .checks import READY_WITHIN, Served, new_name, request
from .errors import ImageCheckError, last_line
from .podman import Podman


def start(podman: Podman, image: str, flags: list[str], port: int) -> Served:
    name = new_name(podman, "worker")
    settings = [f"--env=WORKER_PORT={port}", "--env=LOG_FORMAT=json"]
    podman.run("run", "--detach", "--name", name, *flags, *settings, image, "worker", what="starting worker")
    return Served(name, f"http://127.0.0.1:{port}")


def transfer(served: Served) -> int:
    """A transfer between two new accounts, through `serve`; its id."""
    ids = []
    for balance in (100, 0):
        account_body = {"owner": "image-check", "balance_cents": balance}
        status, account = request("POST", f"{served.url}/accounts", account_body)
        if status != 201:
            raise ImageCheckError(f"POST /accounts answered {status}: {account}")
        ids.append(account["id"])
    body = {"from_account_id": ids[0], "to_account_id": ids[1], "amount_cents": 5}
    status, made = request("POST", f"{served.url}/transfers", body)
    if status != 201:
        raise ImageCheckError(f"POST /transfers answered {status}: {made}")
    return int(made["id"])


def ran_its_job(podman: Podman, worker: Served, transfer_id: int) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        for line in logs(podman, worker).splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("message") == "job done" and entry.get("subject") == str(transfer_id):
                    return
        time.sleep(0.25)
    raise ImageCheckError(f"the worker did not run transfer {transfer_id}'s job within {READY_WITHIN:.0f} s")


def stops_on_sigterm(podman: Podman, worker: Served) -> None:
    podman.run("kill", "--signal", "TERM", worker.container, what="sending SIGTERM to the worker")
    code = podman.run("wait", worker.container, what="waiting for the worker's exit", timeout=60)
    if code != "0":
        raise ImageCheckError(f"worker exited {code} on SIGTERM: {last_line(logs(podman, worker))}")


def logs(podman: Podman, worker: Served) -> str:
    done = podman.call("logs", worker.container, what="worker logs")
    return done.stdout + done.stderr
