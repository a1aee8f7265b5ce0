"""Which proxy a request goes through: the kubeconfig's ``proxy-url``, else the environment the way Go's
``http.ProxyFromEnvironment`` reads it (HTTPS_PROXY/HTTP_PROXY and NO_PROXY; loopback is never proxied)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from kpy.errors import ConfigError


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        import ipaddress  # not at import: a request without a proxy never needs it

        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def select_proxy(server: str, proxy_url: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """The proxy for ``server``: the kubeconfig's ``proxy-url``, else the environment like Go's
    ``ProxyFromEnvironment`` (HTTPS_PROXY/HTTP_PROXY, NO_PROXY; loopback hosts never proxied)."""
    if proxy_url:
        scheme = urlsplit(proxy_url).scheme.lower()
        if scheme not in ("http", "https"):
            raise ConfigError(f"proxy-url scheme {scheme!r} is not supported by kpy (use http or https)")
        return proxy_url
    env = os.environ if env is None else env
    parts = urlsplit(server)
    host = parts.hostname or ""
    if _is_loopback(host):
        return None
    lowered = {k.lower(): v for k, v in env.items() if v}
    no_proxy = lowered.get("no_proxy", "")
    if no_proxy:
        if no_proxy.strip() == "*":
            return None
        for entry in (e.strip().lower() for e in no_proxy.split(",")):
            if not entry:
                continue
            entry = entry.lstrip("*")
            if (
                host.lower() == entry.lstrip(".")
                or (entry.startswith(".") and host.lower().endswith(entry))
                or host.lower().endswith("." + entry)
            ):
                return None
            try:
                import ipaddress

                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return None
            except ValueError:
                pass
    key = "https_proxy" if parts.scheme == "https" else "http_proxy"
    chosen = lowered.get(key)
    if chosen and "://" not in chosen:
        chosen = "http://" + chosen
    return chosen or None
