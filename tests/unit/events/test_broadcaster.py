from __future__ import annotations

import asyncio

import pytest

from kpy.events.broadcaster import Broadcaster, BroadcasterStopped, DeliveryMode

from .helpers import until


async def drain(w: object) -> list[int]:
    return [item async for item in w]  # type: ignore[attr-defined]


async def test_drop_mode_drops_and_counts_when_a_watcher_queue_is_full() -> None:
    b: Broadcaster[int] = Broadcaster(queue_length=3, mode="drop")
    slow = b.watch()
    fast = b.watch(queue_length=100)
    for i in range(10):
        await b.action(i)
    assert slow.dropped == 7 and fast.dropped == 0 and b.dropped == 7
    await b.shutdown()
    assert await drain(slow) == [0, 1, 2]
    assert await drain(fast) == list(range(10))


async def test_block_mode_delivers_everything_in_order_to_every_watcher() -> None:
    b: Broadcaster[int] = Broadcaster(queue_length=2, mode=DeliveryMode.BLOCK)
    w1, w2 = b.watch(), b.watch(queue_length=1)
    got1: list[int] = []
    got2: list[int] = []

    async def consume(w: object, into: list[int], pause_every: int) -> None:
        async for item in w:  # type: ignore[attr-defined]
            into.append(item)
            if item % pause_every == 0:
                for _ in range(3):
                    await asyncio.sleep(0)

    tasks = [asyncio.create_task(consume(w1, got1, 7)), asyncio.create_task(consume(w2, got2, 3))]

    async def produce(start: int) -> None:
        for i in range(start, start + 100):
            await b.action(i)

    await produce(0)
    await produce(100)
    await b.shutdown()
    await asyncio.gather(*tasks)
    assert got1 == list(range(200)) and got2 == list(range(200))
    assert b.dropped == 0


async def test_block_mode_producer_waits_for_a_full_watcher() -> None:
    b: Broadcaster[int] = Broadcaster(queue_length=1, mode="block")
    w = b.watch()
    await b.action(1)
    pending = asyncio.create_task(b.action(2))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not pending.done()
    assert await w.get() == 1
    await until(pending.done)
    assert await w.get() == 2


async def test_concurrent_producers_are_seen_in_the_same_order_by_all_watchers() -> None:
    b: Broadcaster[int] = Broadcaster(queue_length=1, mode="block")
    w1, w2 = b.watch(), b.watch()
    c1 = asyncio.create_task(drain(w1))
    c2 = asyncio.create_task(drain(w2))
    await asyncio.gather(*(b.action(i) for i in range(50)))
    await b.shutdown()
    r1, r2 = await c1, await c2
    assert r1 == r2 and sorted(r1) == list(range(50))


async def test_shutdown_drains_then_ends_and_refuses_new_items() -> None:
    b: Broadcaster[str] = Broadcaster(queue_length=10)
    w = b.watch()
    await b.action("a")
    await b.action("b")
    await b.shutdown()
    with pytest.raises(BroadcasterStopped):
        await b.action("c")
    assert await drain(w) == ["a", "b"]


async def test_stopped_watcher_gets_nothing_more() -> None:
    b: Broadcaster[int] = Broadcaster(queue_length=10, mode="block")
    w1, w2 = b.watch(), b.watch()
    await b.action(1)
    w1.stop()
    await b.action(2)
    await b.shutdown()
    assert await drain(w1) == []
    assert await drain(w2) == [1, 2]


async def test_action_or_drop_never_waits() -> None:
    b: Broadcaster[int] = Broadcaster(queue_length=1, mode="block")
    w = b.watch()
    assert b.action_or_drop(1)
    assert not b.action_or_drop(2)  # block mode: all or nothing, refused and counted
    assert b.refused == 1 and b.dropped == 1
    d: Broadcaster[int] = Broadcaster(queue_length=1, mode="drop")
    dw = d.watch()
    assert d.action_or_drop(1) and not d.action_or_drop(2)
    assert dw.dropped == 1
    assert await w.get() == 1


def test_queue_length_must_be_positive() -> None:
    async def go() -> None:
        Broadcaster[int](queue_length=0).watch()

    with pytest.raises(ValueError):
        asyncio.run(go())
