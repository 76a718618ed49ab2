"""A TCP proxy in front of PostgreSQL that a test can cut and restore: the network failing for real."""

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

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._pipes.add(task)
        try:
            if self._unix_path:
                server_reader, server_writer = await asyncio.open_unix_connection(self._unix_path)
            else:
                server_reader, server_writer = await asyncio.open_connection(*self._target)
            try:
                await asyncio.gather(
                    self._pump(client_reader, server_writer), self._pump(server_reader, client_writer)
                )
            finally:
                server_writer.close()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            client_writer.close()
            self._pipes.discard(task)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
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
