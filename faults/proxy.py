"""A small asyncio TCP proxy that can cut every connection through it and later restore service.

It runs in its own thread (its own event loop), so the load and the measurements never slow it.
While cut, open connections are aborted and new ones are accepted and closed at once — what a
client sees when a network path between it and the broker (or PostgreSQL) goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from complaints.broker.embedded import free_port


class Proxy:
    def __init__(self, target_port: int, listen_port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host, self.target_port = host, target_port
        self.port = listen_port or free_port()
        self.cut_now = False
        self.cuts = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name=f"proxy:{self.port}", daemon=True)

    def start(self) -> Proxy:
        self._thread.start()
        self._ready.wait(5)
        return self

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, self.host, self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.close()

    def cut(self) -> None:
        """Drop every connection; refuse new ones until `restore`."""
        self.cuts += 1
        self.cut_now = True
        self._loop.call_soon_threadsafe(self._abort_all)

    def restore(self) -> None:
        self.cut_now = False

    def stop(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _abort_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_now:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ConnectionError, asyncio.IncompleteReadError):
            while not self.cut_now:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
