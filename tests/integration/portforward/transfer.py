"""Byte-exact transfer helpers: a pod server that hashes what it receives while streaming its own data."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

BLOCK = 1 << 20


def pattern(seed: int, size: int) -> Iterator[bytes]:
    """Deterministic blocks, made one at a time (different per seed and per block offset)."""
    base = hashlib.sha256(seed.to_bytes(8, "big")).digest() * (BLOCK // 32)
    for i in range(0, size, BLOCK):
        n = min(BLOCK, size - i)
        yield i.to_bytes(8, "big") + base[8:n] if n > 8 else base[:n]


def digest(blocks: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for b in blocks:
        h.update(b)
    return h.hexdigest()


@dataclass
class PodSide:
    """For each connection: hash everything received, and send ``download`` bytes (seeded by arrival order)."""

    download: int
    received: dict[int, str] = field(default_factory=dict)
    counter: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    expected_connections: int = 1

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # the client announces its id first (8 bytes), so both ends know which blocks to expect
        ident = int.from_bytes(await reader.readexactly(8), "big")

        async def send() -> None:
            for block in pattern(10_000 + ident, self.download):
                writer.write(block)
                await writer.drain()

        sender = asyncio.ensure_future(send())
        h = hashlib.sha256()
        while data := await reader.read(BLOCK):
            h.update(data)
        await sender
        self.received[ident] = h.hexdigest()
        writer.close()
        if len(self.received) >= self.expected_connections:
            self.done.set()


async def client_side(host: str, port: int, ident: int, upload: int, download: int) -> str:
    """Send ``upload`` bytes while reading ``download`` bytes; return the sha256 of what was read."""
    reader, writer = await asyncio.open_connection(host, port, limit=BLOCK)

    async def send() -> None:
        writer.write(ident.to_bytes(8, "big"))
        for block in pattern(ident, upload):
            writer.write(block)
            await writer.drain()

    sender = asyncio.ensure_future(send())
    h = hashlib.sha256()
    remaining = download
    while remaining:
        data = await reader.read(min(BLOCK, remaining))
        if not data:
            break
        h.update(data)
        remaining -= len(data)
    await sender
    writer.close()
    return h.hexdigest()
