"""How requests authenticate: the ``Credentials`` protocol and its static kinds (token, token file, basic).

Exec plugins live in ``kpy.config.exec_plugin``. Credentials never appear in ``repr`` or logs.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

from kpy.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Protocol, runtime_checkable
else:  # at run time a class whose isinstance() is runtime_checkable's: the methods are there

    class _Structural(type):
        def __instancecheck__(cls, obj: object) -> bool:
            return all(callable(getattr(obj, name, None)) for name in cls.__protocol_attrs__)

    class Protocol(metaclass=_Structural):
        __protocol_attrs__: tuple[str, ...] = ()

        def __init_subclass__(cls) -> None:
            cls.__protocol_attrs__ = tuple(n for n in vars(cls) if not n.startswith("_"))

    def runtime_checkable(cls: type) -> type:
        return cls


#: client-go re-reads token files at most this often (``transport.NewCachedFileTokenSource``)
TOKEN_FILE_PERIOD = 60.0


@runtime_checkable
class Credentials(Protocol):
    """What the REST layer asks for on every request."""

    async def auth_headers(self) -> dict[str, str]:
        """Headers to add (e.g. ``{"Authorization": "Bearer ..."}``). Never log them."""
        ...

    async def client_certificate(self) -> tuple[bytes, bytes] | None:
        """A PEM (certificate, key) pair to present, when the credential is a certificate (exec plugins)."""
        ...

    def invalidate(self) -> None:
        """The server answered 401: the next call re-reads / re-runs instead of using the cached value."""
        ...


class NoCredentials:
    """Anonymous requests (or credentials carried only by the static client certificate)."""

    kind = "none"

    async def auth_headers(self) -> dict[str, str]:
        return {}

    async def client_certificate(self) -> tuple[bytes, bytes] | None:
        return None

    def invalidate(self) -> None:
        return None

    def __repr__(self) -> str:
        return "NoCredentials()"


class TokenCredentials:
    """A fixed bearer token (``token:`` in the kubeconfig, or ``--token``)."""

    kind = "token"

    def __init__(self, token: str) -> None:
        self._token = token

    async def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def client_certificate(self) -> tuple[bytes, bytes] | None:
        return None

    def invalidate(self) -> None:
        return None  # nothing to refresh

    def __repr__(self) -> str:
        return "TokenCredentials(<masked>)"


class TokenFileCredentials:
    """A bearer token read from a file and re-read at least every minute (projected service-account tokens
    rotate), and at once after a 401. A failed re-read keeps the last good token, as client-go does."""

    kind = "tokenFile"

    def __init__(
        self,
        path: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        period: float = TOKEN_FILE_PERIOD,
        initial: str | None = None,
        fallback: str | None = None,
    ) -> None:
        """``initial``: a token already read (the file is next read after ``period``); ``fallback``: sent
        while the file cannot be read and no token was read yet (client-go's static ``BearerToken``)."""
        self.path = path
        self._clock = clock
        self._period = period
        self._token: str | None = initial
        self._fallback = fallback
        self._read_at = clock() if initial is not None else float("-inf")

    def read(self) -> str:
        """Read the file now (``ConfigError`` when it cannot be read and there is no earlier token)."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            if self._token is not None:
                return self._token
            if self._fallback is not None:
                return self._fallback
            reason = (exc.strerror or str(exc)).lower()
            raise ConfigError(f"open {self.path}: {reason}") from None
        self._token = token
        self._read_at = self._clock()
        return token

    def current(self) -> str:
        if self._token is None or self._clock() - self._read_at >= self._period:
            return self.read()
        return self._token

    async def auth_headers(self) -> dict[str, str]:
        token = self.current()
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def client_certificate(self) -> tuple[bytes, bytes] | None:
        return None

    def invalidate(self) -> None:
        self._read_at = float("-inf")

    def __repr__(self) -> str:
        return f"TokenFileCredentials({self.path!r})"


class BasicCredentials:
    """``username``/``password`` (HTTP basic auth)."""

    kind = "basic"

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self._password = password

    async def auth_headers(self) -> dict[str, str]:
        raw = f"{self.username}:{self._password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}

    async def client_certificate(self) -> tuple[bytes, bytes] | None:
        return None

    def invalidate(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"BasicCredentials({self.username!r}, <masked>)"
