"""``kpy on --elect``: the loop runs only while leading; a lost lease stops it at once and exits 1; a normal
end releases the lease."""

from __future__ import annotations

import asyncio

from kpy.cache.elected import run_while_leading


class FakeElector:
    def __init__(self) -> None:
        self.identity = "me"
        self.lost = asyncio.Event()
        self.released = False
        self.leading = False
        clock = type("C", (), {"monotonic": staticmethod(lambda: 0.0)})
        self.clock = clock()
        self.lock = type("L", (), {"describe": staticmethod(lambda: "default/lease")})()
        self.core = type("Core", (), {"is_leader": lambda _self: self.leading})()

    async def acquire(self) -> None:
        self.leading = True

    async def renew(self) -> str:
        await self.lost.wait()
        self.leading = False
        return "new leader: other"

    def stop_deadline(self) -> float:
        return 1e9

    def overdue(self, now: float) -> str | None:
        return None

    async def release(self) -> bool:
        self.released = True
        return True


async def test_lost_lease_stops_the_loop_at_once_and_exits_1() -> None:
    elector = FakeElector()
    said: list[str] = []
    stopped = asyncio.Event()
    started = asyncio.Event()

    async def body() -> int:
        started.set()
        await stopped.wait()
        return 0

    async def stop_now() -> None:
        stopped.set()

    run = asyncio.create_task(run_while_leading(elector, body, stop_now, said.append, asyncio.Event()))  # type: ignore[arg-type]
    await asyncio.wait_for(started.wait(), 5)
    elector.lost.set()
    assert await asyncio.wait_for(run, 5) == 1
    assert said == ["acquired lease default/lease as me", "lost lease default/lease: new leader: other"]
    assert stopped.is_set() and not elector.released


async def test_a_finished_loop_releases_the_lease() -> None:
    elector = FakeElector()
    said: list[str] = []

    async def body() -> int:
        return 0

    async def stop_now() -> None:
        raise AssertionError("not lost")

    code = await run_while_leading(elector, body, stop_now, said.append, asyncio.Event())  # type: ignore[arg-type]
    assert code == 0 and elector.released
    assert said[-1] == "released lease default/lease"
