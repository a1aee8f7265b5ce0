"""kubectl's ``-v`` levels on the ``logging`` module.

klog verbosity ``V(n)`` maps to the logging level ``INFO - n`` (V(6) = 14, V(8) = 12), so a handler set to
``logging.INFO - verbosity`` shows exactly what ``kubectl -v=N`` would. Tokens never reach these loggers: header
dumps go through ``kpy.config.redact_headers``.
"""

from __future__ import annotations

import logging

log = logging.getLogger("kpy.rest")


def v(level: int) -> int:
    """The logging level for klog's ``V(level)``."""
    return max(1, logging.INFO - level)


def enabled(level: int) -> bool:
    return log.isEnabledFor(v(level))
