"""The state of one run of the CLI (``RunContext``) and the process-level things it sets up and undoes:
kubectl's ``-v`` logging and warning writer, and the default way a command opens its ``RestClient``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from kpy.config.flags import ConnectionFlags
from kpy.dataclasslite import dataclass, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

    from kpy.cli.command import Options
    from kpy.rest import RestClient


@dataclass
class RunContext:
    """The state of one run of the CLI (never shared between runs).

    ``open_client`` is the engine seam: the factory every command opens its ``RestClient`` with; tests pass a
    ``RunContext`` with their own factory to ``kpy.cli.main.run``.
    """

    root_flags: ConnectionFlags = field(default_factory=ConnectionFlags)
    #: the command's name in messages: ``kpy``, or ``kubectl kpy`` when run as the kubectl plugin
    prog: str = "kpy"
    #: the options of the group a subcommand runs under (``kpy elect --lease x status``), once it has run
    group: Options | None = None
    debug: bool = False
    verbosity: int = 0
    open_client: Callable[[ConnectionFlags], AbstractAsyncContextManager[RestClient]] | None = None
    _cleanups: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def client(self, flags: ConnectionFlags) -> AbstractAsyncContextManager[RestClient]:
        """Open the command's one REST client (one connection pool) for ``flags``."""
        if self.open_client is not None:
            return self.open_client(flags)
        return default_open_client(flags)

    def set_logging(self, verbosity: int) -> None:
        """kubectl's ``-v`` for this run; undone by ``close``."""
        self.verbosity = max(self.verbosity, verbosity)
        if verbosity > 0:
            self._cleanups.append(configure_logging(verbosity))

    def close(self) -> None:
        """Undo what this run changed in the process (logging levels)."""
        while self._cleanups:
            self._cleanups.pop()()


def configure_logging(verbosity: int) -> Callable[[], None]:
    """kubectl's -v levels on the ``kpy`` logger (requests at 6, bodies at 8), to stderr; returns the undo."""
    import logging

    # kpy modules log kubectl level N at logging level INFO - N, so -v=N shows levels up to N.
    root = logging.getLogger("kpy")
    old_level = root.level
    handler: logging.Handler | None = None
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO - verbosity)

    def undo() -> None:
        root.setLevel(old_level)
        if handler is not None:
            root.removeHandler(handler)

    return undo


def default_open_client(flags: ConnectionFlags) -> AbstractAsyncContextManager[RestClient]:
    """Load the kubeconfig the kubectl way and open one REST client, with kubectl's warning writer."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def opened() -> AsyncIterator[RestClient]:
        from kpy.config import load_client_config
        from kpy.rest import RestClient

        install_warning_writer()
        config = load_client_config(flags)
        async with RestClient(config) as client:
            yield client

    return opened()


_warnings_stream: list[Any] = []  # the stderr the installed warning writer writes to


def install_warning_writer() -> None:
    """kubectl's warning handler for the whole command: the API server's ``Warning`` headers as
    ``Warning: <text>`` lines on stderr, each text once (bold yellow on a colour terminal). A new stderr
    (a test runner's next invocation) gets a new writer, so deduplication is per command run."""
    import os
    import sys

    from kpy.rest import warnings

    stream = sys.stderr
    if _warnings_stream and _warnings_stream[0] is stream:
        return
    _warnings_stream[:] = [stream]
    isatty = getattr(stream, "isatty", None)
    color = bool(isatty and isatty()) and os.environ.get("TERM") != "dumb" and "NO_COLOR" not in os.environ

    def write(line: str) -> None:
        stream.write(line)
        stream.flush()

    warnings.set_default_warning_handler(warnings.WarningWriter(write, deduplicate=True, color=color))
