"""A userspace TCP proxy that adds a fixed delay to every database round trip (kernel netem is not
available here). Bytes from the app to PostgreSQL are held `--delay-ms` before they are sent on, in
order; replies pass straight back. So each round trip the app makes costs that much more, and a
driver that makes more round trips, or blocks its event loop while waiting, pays for it.

Run as a script (stdlib only): `python bench/proxy.py --listen-port 6000 --target-port 5432 --delay-ms 1`.
"""

import argparse
import asyncio
import contextlib
import selectors
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHUNK = 65536


async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy reader to writer, each chunk leaving `delay` seconds after it arrived, order kept."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    delivering = asyncio.create_task(deliver()) if delay > 0 else None
    try:
        while data := await reader.read(CHUNK):
            if delivering is None:
                writer.write(data)
                await writer.drain()
            else:
                queue.put_nowait((loop.time() + delay, data))
        if delivering is not None:
            queue.put_nowait((0.0, b""))
            await delivering
    except (ConnectionError, OSError):
        pass
    finally:
        if delivering is not None:
            delivering.cancel()
        with contextlib.suppress(Exception):
            writer.close()


async def serve(listen_port: int, target_host: str, target_port: int, delay: float) -> None:
    async def connection(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            forward(client_reader, server_writer, delay),
            forward(server_reader, client_writer, 0.0),
        )

    server = await asyncio.start_server(connection, "127.0.0.1", listen_port, backlog=1024)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--target-host", default="127.0.0.1")
    parser.add_argument("--target-port", type=int, default=5432)
    parser.add_argument("--delay-ms", type=float, default=1.0)
    args = parser.parse_args()
    # select(2), not epoll: its timeout is in microseconds, where epoll (and uvloop's timers) round a
    # wait up to whole milliseconds, which would turn 1 ms into 1-2 ms. A few dozen sockets: select is fine.
    loop = asyncio.SelectorEventLoop(selectors.SelectSelector())
    with contextlib.suppress(KeyboardInterrupt):
        loop.run_until_complete(
            serve(args.listen_port, args.target_host, args.target_port, args.delay_ms / 1000)
        )


@contextmanager
def running(target_host: str, target_port: int, delay_ms: float, listen_port: int) -> Iterator[int]:
    """Start the proxy in a process of its own (so it never shares a core's time with the harness)."""
    command = [sys.executable, str(Path(__file__).resolve())]
    command += ["--listen-port", str(listen_port), "--target-host", target_host]
    command += ["--target-port", str(target_port), "--delay-ms", str(delay_ms)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proxy:
        try:
            assert proxy.stdout is not None
            line = proxy.stdout.readline().strip()
            if line != "listening":
                raise RuntimeError(f"the latency proxy did not start: {line or proxy.wait(5)}")
            yield listen_port
        finally:
            proxy.terminate()
            try:
                proxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proxy.kill()


@dataclass(frozen=True)
class Latency:
    port: int
    delay_ms: float  # what the proxy holds each chunk
    added_ms: float  # what a round trip through it costs over a direct one, measured idle


@contextmanager
def calibrated(
    server_url: str, added_ms: float, start_ms: float | None = None, tries: int = 4
) -> Iterator[Latency]:
    """A proxy in front of the server in `server_url` whose added round-trip time, measured from a
    client, is `added_ms` (within 0.05 ms): the proxy's own hop costs a little, so the hold is trimmed."""
    from .database import address, with_address

    host, port = address(server_url)
    direct = round_trip_ms(server_url)
    delay = added_ms if start_ms is None else start_ms  # a delay that was right before usually still is
    for attempt in range(tries):
        with running(host, port, delay, free_port()) as listen:
            measured = round_trip_ms(with_address(server_url, "127.0.0.1", listen)) - direct
            if abs(measured - added_ms) <= 0.05 or attempt == tries - 1:
                yield Latency(listen, round(delay, 3), round(measured, 3))
                return
        delay = max(0.0, delay - (measured - added_ms))


def round_trip_ms(url: str, count: int = 300) -> float:
    """Median time of `SELECT 1` on one connection, in milliseconds."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            connection.execute("SELECT 1")
            samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


if __name__ == "__main__":
    main()
