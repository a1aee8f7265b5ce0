"""kubectl's ``-v`` levels on the ``logging`` module.

klog verbosity ``V(n)`` maps to the logging level ``INFO - n`` (V(6) = 14, V(8) = 12), so a handler set to
``logging.INFO - verbosity`` shows exactly what ``kubectl -v=N`` would. Tokens never reach these loggers: header
dumps go through ``kpy.config.redact_headers``.

``logging`` (with traceback, string and threading, a few ms of start-up) is imported only when something is
logged or ``-v`` configured it: until then no level below WARNING can be enabled, so ``enabled`` answers False
without it, and ``log`` is a stand-in that loads the real logger on its first use.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any

_INFO = 20  # logging.INFO


class LazyLogger:
    """``logging.getLogger(name)``, fetched on first use."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import logging

        return getattr(logging.getLogger(self._name), attr)


log: Any = LazyLogger("kpy.rest")


def v(level: int) -> int:
    """The logging level for klog's ``V(level)``."""
    return max(1, _INFO - level)


def enabled(level: int) -> bool:
    if "logging" not in sys.modules:  # nothing configured a level below WARNING
        return False
    return bool(log.isEnabledFor(v(level)))
