"""kubeconfig ``auth-provider`` users, as kubectl handles them.

* ``oidc``: the ``id-token`` is sent as a bearer token while it is valid (its ``exp`` claim more than 10 s
  ahead); otherwise it is refreshed with ``refresh-token`` at the token endpoint that ``idp-issuer-url``'s
  OpenID discovery document names (TLS verified against ``idp-certificate-authority(-data)`` if given, else
  the system store), and the new tokens are written back into the kubeconfig file that defines the user, as
  kubectl does. Messages are client-go's (plugin/pkg/client/auth/oidc).
* ``gcp`` and ``azure``: removed from kubectl; using them fails with kubectl's message naming the
  replacement (gke-gcloud-auth-plugin, kubelogin).
* any other name: ``no Auth Provider found for name "x"``.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus

from kpy.errors import ConfigError

GCP_REMOVED = (
    "The gcp auth plugin has been removed.\n"
    'Please use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead.\n'
    "See https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke "
    "for further details"
)
AZURE_REMOVED = (
    "The azure auth plugin has been removed.\n"
    "Please use the https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead.\n"
    "See https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins "
    "for further details"
)
NO_REFRESH = "No valid id-token, and cannot refresh without refresh-token"
NO_ID_TOKEN = (
    'token response did not contain an id_token, either the scope "openid" wasn\'t requested upon login, or '
    "the provider doesn't support id_tokens as part of the refresh response"
)
#: client-go refreshes an id-token this long before it expires
EXPIRY_DELTA = 10.0

Persist = Callable[[dict[str, str]], None]


def auth_provider_credentials(
    name: str,
    config: Mapping[str, Any],
    *,
    persist: Persist | None = None,
    clock: Callable[[], float] = time.time,
) -> OIDCCredentials:
    """The credentials for an ``auth-provider`` stanza, or ``ConfigError`` with kubectl's message."""
    if name == "gcp":
        raise ConfigError(GCP_REMOVED)
    if name == "azure":
        raise ConfigError(AZURE_REMOVED)
    if name != "oidc":
        raise ConfigError(f'no Auth Provider found for name "{name}"')
    return OIDCCredentials({str(k): str(v) for k, v in config.items()}, persist=persist, clock=clock)


def _b64url(text: str) -> bytes:
    """Go's RawURLEncoding (no padding accepted)."""
    if "=" in text:
        raise ConfigError(f"illegal base64 data at input byte {text.index('=')}")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ConfigError("illegal base64 data at input byte 0") from None


def id_token_valid(token: str, now: float) -> bool:
    """idTokenExpired: True while the token's ``exp`` is more than 10 s away."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ConfigError("ID Token is not a valid JWT")
    payload = _b64url(parts[1])
    try:
        claims = json.loads(payload)
        exp = claims.get("exp", 0) if isinstance(claims, dict) else None
        if exp is None or isinstance(exp, bool) or not isinstance(exp, int | float):
            raise ValueError("exp is not a number")
    except ValueError as exc:
        raise ConfigError(f"parsing claims: {exc}") from None
    return now + EXPIRY_DELTA < int(exp)


class OIDCCredentials:
    """client-go's oidc auth provider: a bearer id-token, refreshed with the refresh token when expired."""

    kind = "oidc"

    def __init__(
        self,
        config: dict[str, str],
        *,
        persist: Persist | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not config.get("idp-issuer-url"):
            raise ConfigError("Must provide idp-issuer-url")
        if not config.get("client-id"):
            raise ConfigError("Must provide client-id")
        self._ca_data: bytes | None = None
        if config.get("idp-certificate-authority-data"):
            try:
                self._ca_data = base64.b64decode(config["idp-certificate-authority-data"], validate=True)
            except (binascii.Error, ValueError):
                raise ConfigError("illegal base64 data in idp-certificate-authority-data") from None
        self._config = config
        self._persist = persist
        self._clock = clock
        import asyncio  # only OIDC credentials need it: not at import time

        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"OIDCCredentials({self._config.get('idp-issuer-url')!r}, <masked>)"

    @property
    def config(self) -> dict[str, str]:
        """The provider's current configuration (after a refresh: the new tokens)."""
        return dict(self._config)

    async def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.id_token()}"}

    async def client_certificate(self) -> tuple[bytes, bytes] | None:
        return None

    def invalidate(self) -> None:
        return None  # as client-go: a 401 does not force a refresh of a token that has not expired

    async def id_token(self) -> str:
        async with self._lock:
            token = self._config.get("id-token", "")
            if token and id_token_valid(token, self._clock()):
                return token
            refresh = self._config.get("refresh-token", "")
            if not refresh:
                raise ConfigError(NO_REFRESH)
            answer = await self._refresh(refresh)
            new_token = answer.get("id_token")
            if not isinstance(new_token, str):
                raise ConfigError(NO_ID_TOKEN)
            updated = dict(self._config)
            new_refresh = answer.get("refresh_token")
            if isinstance(new_refresh, str) and new_refresh and new_refresh != refresh:
                updated["refresh-token"] = new_refresh
            updated["id-token"] = new_token
            if self._persist is not None:
                try:
                    self._persist(updated)
                except (OSError, ConfigError) as exc:
                    raise ConfigError(f"could not persist new tokens: {exc}") from None
            self._config = updated
            return new_token

    def _ssl(self) -> Any:
        import ssl

        path = self._config.get("idp-certificate-authority")
        if self._ca_data:
            return ssl.create_default_context(cadata=self._ca_data.decode("ascii", "replace"))
        if path:
            return ssl.create_default_context(cafile=path)
        return ssl.create_default_context()

    async def _refresh(self, refresh_token: str) -> dict[str, Any]:
        import aiohttp

        issuer = self._config["idp-issuer-url"].rstrip("/")
        connector = aiohttp.TCPConnector(ssl=self._ssl())
        async with aiohttp.ClientSession(connector=connector) as session:
            try:
                async with session.get(issuer + "/.well-known/openid-configuration") as resp:
                    body = await resp.read()
                    if resp.status != 200:
                        shown = body[:80] + (b"..." if len(body) > 80 else b"")
                        status = f"{resp.status} {resp.reason}"
                        raise ConfigError(
                            f"oidc: failed to query metadata endpoint {status}: {_go_quote(shown)}"
                        )
                try:
                    endpoint = json.loads(body).get("token_endpoint")
                except (ValueError, AttributeError) as exc:
                    raise ConfigError(f"oidc: failed to decode provider discovery object: {exc}") from None
                if not endpoint:
                    raise ConfigError("oidc: discovery object doesn't contain a token_endpoint")
                form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
                # golang.org/x/oauth2 sends the client's id and secret query-escaped in basic auth
                secret = (
                    quote_plus(self._config["client-id"])
                    + ":"
                    + quote_plus(self._config.get("client-secret", ""))
                )
                headers = {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode("ascii")}
                async with session.post(endpoint, data=form, headers=headers) as resp:
                    text = await resp.text()
                    if resp.status >= 300:
                        raise ConfigError(
                            f"failed to refresh token: oauth2: cannot fetch token: {resp.status} {resp.reason}\n"
                            f"Response: {text}"
                        )
            except aiohttp.ClientError as exc:
                raise ConfigError(f"failed to refresh token: {exc}") from None
        try:
            answer = json.loads(text)
        except ValueError:
            raise ConfigError(f"failed to refresh token: oauth2: cannot parse json: {text[:80]}") from None
        if not isinstance(answer, dict):
            raise ConfigError("failed to refresh token: oauth2: server response missing access_token")
        return answer


def _go_quote(data: bytes) -> str:
    """Go's %q of a byte string (close enough for ASCII bodies)."""
    return json.dumps(data.decode("utf-8", "replace"))
