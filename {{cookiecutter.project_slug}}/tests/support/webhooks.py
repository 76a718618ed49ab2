"""A webhook receiver for the jobs' tests: a local HTTP server that records each delivery and
answers 200, holding the deliveries of the keys in `holding` until `released` is set, so a test can
hold a job in a worker's hands while other jobs flow."""

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Delivery:
    key: str  # the Idempotency-Key header: the job's id
    body: dict[str, Any]


@dataclass
class Receiver:
    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    holding: set[str] = field(default_factory=set)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    in_hand: Counter[str] = field(default_factory=Counter)
    # Keys delivered again while a delivery of the same key was still unanswered.
    overlapping: set[str] = field(default_factory=set)

    def keys(self) -> Counter[str]:
        return Counter(delivery.key for delivery in self.deliveries)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            fields = (line.partition(":") for line in head[1:])
            headers = {name.lower(): value.strip() for name, _, value in fields}
            body = json.loads(await reader.readexactly(int(headers.get("content-length", "0"))))
            key = headers.get("idempotency-key", "")
            if self.in_hand[key]:
                self.overlapping.add(key)
            self.in_hand[key] += 1
            self.deliveries.append(Delivery(key, body))
            try:
                if key in self.holding:
                    await self.released.wait()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                await writer.drain()
            finally:
                self.in_hand[key] -= 1
        writer.close()


@contextlib.asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.serve, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    receiver.url = f"http://{host}:{port}/hooks"
    async with server:  # on leaving, waits for every delivery's connection to close
        try:
            yield receiver
        finally:
            receiver.released.set()  # a delivery still held answers and ends
