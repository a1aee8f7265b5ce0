"""kpy: client-go's tools (port-forward, JSONPath, leader election, events) for kubectl users.

Importing ``kpy`` is cheap on purpose: heavy modules (kubernetes, websockets, rich, aiohttp) are imported by the
commands that need them, so ``kpy --help`` starts fast.
"""

__version__ = "0.1.0"
