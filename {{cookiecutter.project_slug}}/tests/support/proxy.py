"""A TCP proxy in front of PostgreSQL that a test can cut, restore, hold, or make forget its
connections: the network failing for real."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit, urlunsplit


class Proxy:
    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        socket_dir = parse_qs(parts.query).get("host", [""])[0]
        port = parts.port or 5432
        self._unix_path = f"{socket_dir}/.s.PGSQL.{port}" if socket_dir.startswith("/") else None
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._target_url = parts
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._server_sides: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._forgotten: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.held = 0  # what arrived while held, in reads: a request is waiting on the network
        self.port = 0

    @property
    def url(self) -> str:
        """The target's URL with the proxy as host: same user, password and database."""
        parts = self._target_url
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{self.port}" if credentials else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc, query=""))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones, as a network partition would."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        # Drop the open connections before waiting for the server: since Python 3.12.1
        # wait_closed() waits for every connection it accepted, so waiting first hangs.
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def restore(self) -> None:
        await self.start()

    async def forget(self) -> None:
        """Drop the open connections as a middlebox that forgot them does: the server sees them
        close at once, the app hears nothing, and the next thing it sends on one is answered with
        a reset. New connections pass as before."""
        for pipe, server_writer in list(self._server_sides.items()):
            self._forgotten.add(pipe)
            server_writer.close()

    def hold(self) -> None:
        """Keep what either side sends until `release()`, as a stalled network does: connections
        stay open and nothing arrives."""
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._pipes.add(task)
        try:
            if self._unix_path:
                server_reader, server_writer = await asyncio.open_unix_connection(self._unix_path)
            else:
                server_reader, server_writer = await asyncio.open_connection(*self._target)
            self._server_sides[task] = server_writer
            try:
                await asyncio.gather(
                    self._pump(task, client_reader, server_writer, reset=client_writer),
                    self._pump(task, server_reader, client_writer),
                )
            finally:
                server_writer.close()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            client_writer.close()
            self._pipes.discard(task)
            self._server_sides.pop(task, None)
            self._forgotten.discard(task)

    async def _pump(
        self,
        pipe: asyncio.Task[None],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        reset: asyncio.StreamWriter | None = None,
    ) -> None:
        while data := await reader.read(65536):
            if not self._flowing.is_set():
                self.held += 1
                await self._flowing.wait()
            if pipe in self._forgotten:
                if reset is not None:  # the app spoke on a connection the network forgot
                    reset.transport.abort()
                return
            writer.write(data)
            await writer.drain()
        if pipe in self._forgotten:
            return  # the server's side closed; a forgotten connection tells the app nothing
        with contextlib.suppress(OSError):
            writer.write_eof()


@contextlib.asynccontextmanager
async def proxy_to(target_url: str) -> AsyncIterator[Proxy]:
    proxy = Proxy(target_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.cut()
