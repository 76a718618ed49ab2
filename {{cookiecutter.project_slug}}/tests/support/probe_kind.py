"""The probe's kind of job, for the worker's tests: a number posted to the receiver its payload names
(none: only logged), through the service's own webhook delivery. `python -m tests.support.probe_kind`
is the project's `worker` with this kind added; the served worker never has it."""

from {{ cookiecutter.package_name }}.commands.worker import main
from {{ cookiecutter.package_name }}.jobs.kinds import KINDS, Kind, Run
from {{ cookiecutter.package_name }}.jobs.payloads import Payload
from {{ cookiecutter.package_name }}.jobs.webhooks import deliver

KIND = "test-probe.delivery"


class ProbeJob(Payload):
    number: int
    url: str | None = None

    @property
    def subject(self) -> str:
        return str(self.number)


async def post_number(run: Run[ProbeJob]) -> None:
    await deliver(run, run.payload.url, {"event": run.kind, "number": run.payload.number})


KINDS.add(Kind(KIND, ProbeJob, post_number))

if __name__ == "__main__":
    main()
