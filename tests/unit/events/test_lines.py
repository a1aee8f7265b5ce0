"""The input reader of ``kpy events record``: lines as they come, an idle marker, and a stop that never waits."""

from __future__ import annotations

import asyncio
import os

from kpy.events.lines import LineReader


async def test_lines_from_a_pipe_say_when_input_is_idle_and_stop_while_waiting() -> None:
    read_fd, write_fd = os.pipe()
    reader = LineReader(read_fd, close=True)
    stop = asyncio.Event()
    seen: list[tuple[int, bytes | None]] = []

    async def consume() -> None:
        async for item in reader.lines(stop):
            seen.append(item)

    task = asyncio.create_task(consume())
    os.write(write_fd, b'{"a": 1}\n\n{"b": 2}\npartial')
    async with asyncio.timeout(10):
        while (2, b"") not in seen or seen[-1][1] is not None:
            await asyncio.sleep(0.01)
    assert [line for line in seen if line[1]] == [
        (1, b'{"a": 1}'),
        (3, b'{"b": 2}'),
    ]  # "partial" waits for \n
    stop.set()  # no more input will come: the reader must not wait for it
    async with asyncio.timeout(10):
        await task
    os.close(write_fd)


async def test_last_line_without_newline_and_end_of_input(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "in.jsonl")
    with open(path, "wb") as fh:
        fh.write(b"one\ntwo")
    lines = [item async for item in LineReader.open(path).lines() if item[1] is not None]
    assert lines == [(1, b"one"), (2, b"two")]
