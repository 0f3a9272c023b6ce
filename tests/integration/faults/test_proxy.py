"""The fault suite's TCP proxy: forwards, drops every connection when cut, refuses while cut, restores."""

from __future__ import annotations

import asyncio
import socket

from faults.proxy import Proxy


async def echo_server() -> tuple[asyncio.Server, int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def roundtrip(port: int, payload: bytes = b"ping") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(payload)
        return s.recv(1024)


async def test_cut_drops_open_connections_and_refuses_new_ones_until_restored() -> None:
    server, port = await echo_server()
    proxy = Proxy(port).start()
    try:
        assert await asyncio.to_thread(roundtrip, proxy.port) == b"ping"
        held = await asyncio.to_thread(socket.create_connection, ("127.0.0.1", proxy.port), 2)
        held.sendall(b"a")
        assert await asyncio.to_thread(held.recv, 16) == b"a"
        proxy.cut()
        await asyncio.sleep(0.2)
        assert await asyncio.to_thread(held.recv, 16) == b"", "the open connection was dropped"
        held.close()
        try:
            got = await asyncio.to_thread(roundtrip, proxy.port)
        except OSError:
            got = b""
        assert got == b"", "a new connection during the cut gets nothing"
        proxy.restore()
        assert await asyncio.to_thread(roundtrip, proxy.port, b"back") == b"back"
    finally:
        proxy.stop()
        server.close()
