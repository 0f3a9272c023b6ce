"""A loopback TCP shim that lets Debian 12's kcat talk to the embedded Tansu broker.

Why: kcat 1.7.1 on Debian 12 links librdkafka 2.0.2, whose tagged-field skipper is
off by one byte per tag. Apache Kafka's ApiVersions v3 response happens to survive
that; Tansu's (which always sends the four top-level tags, with one-byte payloads)
does not, and every connection fails with "Read underflow ... ApiVersion v3" (and
`api.version.request=false` no longer helps since librdkafka 2.0).

The shim forwards Kafka frames both ways and changes exactly two things:
  * ApiVersions (key 18) v3+ responses: the top-level tagged fields (supported /
    finalized features, informational) are replaced by "no tags";
  * every response: the broker's advertised `host:port` is rewritten to the shim's
    port, so the client's follow-up connections also go through the shim.

Only tests use it, only against Tansu; Apache Kafka needs nothing of this.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

API_VERSIONS = 18


def _uvarint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def strip_api_versions_tags(response: bytes) -> bytes:
    """`response` = correlation id + ApiVersions v3 body; drop the body's top-level tags."""
    i = 4 + 2  # correlation id, error code
    count, i = _uvarint(response, i)  # compact array: n + 1
    for _ in range(count - 1):
        i += 6  # api key, min, max
        tags, i = _uvarint(response, i)
        for _ in range(tags):
            _, i = _uvarint(response, i)
            size, i = _uvarint(response, i)
            i += size
    i += 4  # throttle time
    return response[:i] + b"\x00"


def _read_frame(sock: socket.socket) -> bytes | None:
    head = sock.recv(4, socket.MSG_WAITALL)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">i", head)
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


class KcatShim:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self.port = int(self._listener.getsockname()[1])
        host = upstream_host.encode()
        old, new = struct.pack(">i", upstream_port), struct.pack(">i", self.port)
        # The advertised address, as a compact string (flexible versions) and as an int16-length string.
        self._rewrites = [
            (bytes([len(host) + 1]) + host + old, bytes([len(host) + 1]) + host + new),
            (struct.pack(">h", len(host)) + host + old, struct.pack(">h", len(host)) + host + new),
        ]
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self._sockets += [client, upstream]
            pending: dict[int, tuple[int, int]] = {}
            threading.Thread(target=self._requests, args=(client, upstream, pending), daemon=True).start()
            threading.Thread(target=self._responses, args=(upstream, client, pending), daemon=True).start()

    def _requests(self, src: socket.socket, dst: socket.socket, pending: dict[int, tuple[int, int]]) -> None:
        with suppress(OSError):
            while (frame := _read_frame(src)) is not None:
                api_key, version, correlation = struct.unpack(">hhi", frame[:8])
                pending[correlation] = (api_key, version)
                dst.sendall(struct.pack(">i", len(frame)) + frame)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def _responses(self, src: socket.socket, dst: socket.socket, pending: dict[int, tuple[int, int]]) -> None:
        with suppress(OSError):
            while (frame := _read_frame(src)) is not None:
                (correlation,) = struct.unpack(">i", frame[:4])
                api_key, version = pending.pop(correlation, (-1, -1))
                if api_key == API_VERSIONS and version >= 3:
                    frame = strip_api_versions_tags(frame)
                for old, new in self._rewrites:
                    frame = frame.replace(old, new)
                dst.sendall(struct.pack(">i", len(frame)) + frame)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for s in self._sockets:
            with suppress(OSError):
                s.close()


@contextmanager
def kcat_shim(bootstrap: str) -> Iterator[KcatShim]:
    host, _, port = bootstrap.rpartition(":")
    shim = KcatShim(host, int(port))
    try:
        yield shim
    finally:
        shim.close()
