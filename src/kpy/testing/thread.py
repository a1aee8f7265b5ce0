"""``EmulatorThread``: an :class:`~kpy.testing.Emulator` on its own event loop in a background thread.

For synchronous tests that drive CLIs as subprocesses: ``with EmulatorThread(seed=True) as t:`` then
``t.kubeconfig_path``; ``t.call(fn, *args)`` runs ``fn`` on the emulator's loop (awaiting it if it returns a
coroutine) and ``t.run(coro)`` runs a coroutine there, both returning the result.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from kpy.testing.emulator import Emulator

T = TypeVar("T")


class EmulatorThread:
    def __init__(self, *, timeout: float = 30.0, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.emulator: Emulator

    @property
    def kubeconfig_path(self) -> Path:
        return self.emulator.kubeconfig_path

    def __enter__(self) -> EmulatorThread:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="kpy-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._timeout):
            raise TimeoutError("the emulator did not start")
        if self._error is not None:
            raise self._error

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            self.emulator = Emulator(**self._kwargs)
            await self.emulator.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.emulator.stop()

    def stop(self) -> None:
        if self._loop is None or self._thread is None or self._stop is None:
            return
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(self._timeout)
        self._thread = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the emulator's loop and return its result."""
        assert self._loop is not None
        fut = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return fut.result(timeout if timeout is not None else self._timeout)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn(*args)`` on the emulator's loop (awaiting a returned coroutine) and return the result."""

        async def invoke() -> Any:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        return self.run(invoke())
