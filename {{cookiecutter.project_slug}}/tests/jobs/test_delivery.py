"""A job's webhook is posted at least once, never twice at a time:
a worker killed mid-delivery leaves the job to another after JOBS_LEASE, SIGTERM lets the delivery
in hand finish before the worker exits 0 (not ready meanwhile), two workers share a backlog without
losing a job, and a worker that lost its database is not ready and runs jobs again once it is
back, without a restart."""

import asyncio
import signal

from ..support.polling import eventually
from ..support.probe_kind import KIND
from ..support.protocols import Sql
from ..support.proxy import proxy_to
from ..support.webhooks import Receiver, receiving
from ..support.workers import StartWorker, Worker, queued

LEASE = "1"  # JOBS_LEASE, seconds


async def done(live_sql: Sql, jobs: list[int]) -> bool:
    """Every one of `jobs` has completed: pgqueuer removes a job once its run succeeded."""
    ids = ",".join(map(str, jobs))
    [(left,)] = await live_sql(f"SELECT count(*) FROM pgqueuer WHERE id IN ({ids})")
    return bool(left == 0)


def delivered(receiver: Receiver, job: int) -> int:
    return receiver.keys()[str(job)]


async def in_hand(worker: Worker, receiver: Receiver, job: int) -> bool:
    """`job`'s first delivery has reached the receiver, which holds it, from a worker still running."""
    assert worker.running(), worker.tail()
    return delivered(receiver, job) == 1


async def test_a_job_whose_worker_died_mid_delivery_is_delivered_again_after_its_lease(
    start_worker: StartWorker, live_sql: Sql
) -> None:
    async with receiving() as receiver:
        [job] = await queued(live_sql, 1, url=receiver.url)
        receiver.holding.add(str(job))
        first = await start_worker(JOBS_LEASE=LEASE)

        assert await eventually(lambda: in_hand(first, receiver, job), within=30), first.tail()
        first.process.send_signal(signal.SIGKILL)
        await first.exit_code()
        receiver.released.set()
        second = await start_worker(JOBS_LEASE=LEASE)
        assert await eventually(lambda: done(live_sql, [job]), within=30), second.tail()

    deliveries = [delivery for delivery in receiver.deliveries if delivery.key == str(job)]
    assert len(deliveries) == 2  # the same job, the same key: the receiver knows it for a repeat
    assert deliveries[0].body == deliveries[1].body
    assert deliveries[0].body == {"event": KIND, "number": 1}


async def test_sigterm_lets_the_delivery_in_hand_finish(start_worker: StartWorker, live_sql: Sql) -> None:
    async with receiving() as receiver:
        [job] = await queued(live_sql, 1, url=receiver.url)
        receiver.holding.add(str(job))
        worker = await start_worker()

        assert await eventually(lambda: in_hand(worker, receiver, job), within=30), worker.tail()
        assert (await worker.get("/health/ready")).status_code == 200
        assert (await worker.figures())[("jobs_in_flight", KIND)] == 1
        worker.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        still_running = worker.running()  # waiting for the answer, not claiming anything new
        ready, live = await worker.get("/health/ready"), await worker.get("/health/live")
        # Committed meanwhile, a minute ago: left for another worker, and the backlog's age shows it.
        [late] = await queued(live_sql, 1)
        await live_sql(f"UPDATE pgqueuer SET created = now() - interval '1 minute' WHERE id = {late}")
        figures = await worker.figures()
        receiver.released.set()
        exit_code = await worker.exit_code()

    assert (still_running, exit_code) == (True, 0), worker.tail()
    assert (ready.status_code, ready.json()["code"], live.status_code) == (503, "draining", 200)
    assert figures[("jobs_queued", KIND)] >= 1
    assert figures[("jobs_oldest_queued_seconds", KIND)] >= 60
    assert await done(live_sql, [job])  # marked done before the exit, not left to its lease
    assert delivered(receiver, job) == 1


async def test_two_workers_deliver_a_backlog_each_job_once(start_worker: StartWorker, live_sql: Sql) -> None:
    async with receiving() as receiver:
        jobs = await queued(live_sql, 200, url=receiver.url)
        workers = [await start_worker() for _ in range(2)]

        async def all_done() -> bool:
            assert all(worker.running() for worker in workers), [worker.tail() for worker in workers]
            return await done(live_sql, jobs)

        assert await eventually(all_done, within=60)

    keys = receiver.keys()
    assert sorted(keys[str(job)] for job in jobs) == [1] * len(jobs)  # none lost, none twice
    assert not receiver.overlapping


async def test_a_worker_that_lost_its_database_runs_jobs_once_it_is_back(
    start_worker: StartWorker, live_sql: Sql, database_url: str
) -> None:
    async with proxy_to(database_url) as proxy, receiving() as receiver:
        worker = await start_worker(DATABASE_URL=proxy.url, DB_CONNECT_TIMEOUT="1")
        first = await queued(live_sql, 1, url=receiver.url)
        assert await eventually(lambda: done(live_sql, first), within=30), worker.tail()

        await proxy.cut()  # the network, or the server, goes: every connection drops, new ones are refused

        async def noticed() -> bool:
            assert worker.running(), worker.tail()
            return any(line["message"].startswith("queue connection lost") for line in worker.lines())

        assert await eventually(noticed, within=30), worker.tail()
        # Committed while the worker cannot reach the database.
        meanwhile = await queued(live_sql, 1, url=receiver.url)
        await asyncio.sleep(0.5)  # a few attempts to reconnect, refused
        away = await worker.get("/health/ready")
        await proxy.restore()

        async def caught_up() -> bool:
            assert worker.running(), worker.tail()
            return await done(live_sql, meanwhile)

        assert await eventually(caught_up, within=30), worker.tail()
        back = await worker.get("/health/ready")

    assert (away.status_code, away.json()["code"], back.status_code) == (503, "not_taking_jobs", 200)
