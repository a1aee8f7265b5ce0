"""kubeconfig ``auth-provider`` users (client-go's oidc plugin and the removed gcp/azure ones), on their spec.

The refresh flow needs an identity provider, so it is tested here against a small loopback one (discovery
document + token endpoint); the data-driven comparison with client-go (test_clientgo_differential) covers
the rest without network.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from tests.unit.config.kcfg import WriteConfig, kubeconfig_doc

from kpy.config import ConnectionFlags, load_client_config
from kpy.config.auth_provider import AZURE_REMOVED, GCP_REMOVED, NO_ID_TOKEN, NO_REFRESH, id_token_valid
from kpy.errors import ConfigError

NOW = 1_800_000_000.0


def _enc(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(exp: float) -> str:
    return f"{_enc(b'{}')}.{_enc(json.dumps({'exp': exp}).encode())}.sig"


def doc(provider: dict[str, Any]) -> dict[str, Any]:
    return kubeconfig_doc(
        current="x",
        clusters={"c": {"server": "https://10.0.0.1:6443"}},
        contexts={"x": {"cluster": "c", "user": "u"}},
        users={"u": {"auth-provider": provider}},
    )


def oidc(**config: str) -> dict[str, Any]:
    return {
        "name": "oidc",
        "config": {"idp-issuer-url": "https://issuer.invalid", "client-id": "kpy", **config},
    }


class Issuer:
    """A loopback OpenID provider: discovery and a refresh-token grant."""

    def __init__(self) -> None:
        self.grants: list[dict[str, str]] = []
        self.authorization: list[str] = []
        self.answer: dict[str, Any] = {"id_token": jwt(NOW + 3600), "refresh_token": "rt-2"}
        self.url = ""

    async def discovery(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": self.url, "token_endpoint": self.url + "/token"})

    async def token(self, request: web.Request) -> web.Response:
        self.grants.append(dict(await request.post()))  # type: ignore[arg-type]
        self.authorization.append(request.headers.get("Authorization", ""))
        return web.json_response({"access_token": "at", "token_type": "Bearer", **self.answer})


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    idp = Issuer()
    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", idp.discovery)
    app.router.add_post("/token", idp.token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    idp.url = f"http://127.0.0.1:{port}"
    yield idp
    await runner.cleanup()


def load(path: Path, env: dict[str, str]) -> Any:
    return load_client_config(ConnectionFlags(kubeconfig=str(path)), env, clock=lambda: NOW)


async def test_a_valid_id_token_is_the_bearer_token(write_config: WriteConfig, env: dict[str, str]) -> None:
    token = jwt(NOW + 60)
    cfg = load(write_config("config", doc(oidc(**{"id-token": token}))), env)
    assert cfg.auth_provider == "oidc"
    assert await cfg.credentials.auth_headers() == {"Authorization": f"Bearer {token}"}
    assert token not in repr(cfg) and token not in repr(cfg.credentials)


async def test_an_expired_id_token_is_refreshed_and_written_back(
    write_config: WriteConfig, env: dict[str, str], issuer: Issuer
) -> None:
    path = write_config(
        "config",
        doc(oidc(**{"id-token": jwt(NOW + 5), "refresh-token": "rt-1", "idp-issuer-url": issuer.url})),
    )
    path.chmod(0o600)
    cfg = load(path, env)
    new = issuer.answer["id_token"]
    assert await cfg.credentials.auth_headers() == {
        "Authorization": f"Bearer {new}"
    }  # 5 s < client-go's 10 s
    assert issuer.grants == [{"grant_type": "refresh_token", "refresh_token": "rt-1"}]
    assert issuer.authorization == ["Basic " + base64.b64encode(b"kpy:").decode()]
    saved = yaml.safe_load(path.read_text())["users"][0]["user"]["auth-provider"]["config"]
    assert (saved["id-token"], saved["refresh-token"]) == (new, "rt-2")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert await cfg.credentials.auth_headers() == {"Authorization": f"Bearer {new}"}
    assert len(issuer.grants) == 1  # the new token is used from memory


async def test_a_refresh_answer_without_id_token_fails_with_client_gos_words(
    write_config: WriteConfig, env: dict[str, str], issuer: Issuer
) -> None:
    issuer.answer = {"refresh_token": "rt-2"}
    cfg = load(
        write_config("config", doc(oidc(**{"refresh-token": "rt-1", "idp-issuer-url": issuer.url}))), env
    )
    with pytest.raises(ConfigError, match="^" + NO_ID_TOKEN.replace("(", r"\(").replace(")", r"\)") + "$"):
        await cfg.credentials.auth_headers()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"id-token": jwt(NOW - 1)}, NO_REFRESH),
        ({}, NO_REFRESH),
        ({"id-token": "opaque"}, "ID Token is not a valid JWT"),
    ],
)
async def test_unusable_id_tokens(
    write_config: WriteConfig, env: dict[str, str], config: dict[str, str], message: str
) -> None:
    cfg = load(write_config("config", doc(oidc(**config))), env)
    with pytest.raises(ConfigError) as info:
        await cfg.credentials.auth_headers()
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        ({"name": "gcp"}, GCP_REMOVED),
        ({"name": "azure", "config": {"tenant-id": "t"}}, AZURE_REMOVED),
        ({"name": "keystone"}, 'no Auth Provider found for name "keystone"'),
        ({"name": "oidc", "config": {"client-id": "kpy"}}, "Must provide idp-issuer-url"),
        ({"name": "oidc", "config": {"idp-issuer-url": "https://i"}}, "Must provide client-id"),
    ],
)
def test_providers_kubectl_refuses(
    write_config: WriteConfig, env: dict[str, str], provider: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(write_config("config", doc(provider)), env)
    assert info.value.format() == f"error: {message}"


def test_gcp_message_names_the_replacement() -> None:
    assert "gke-gcloud-auth-plugin" in GCP_REMOVED and "kubelogin" in AZURE_REMOVED


def test_auth_provider_over_http_sends_nothing(write_config: WriteConfig, env: dict[str, str]) -> None:
    d = doc({"name": "gcp"})
    d["clusters"][0]["cluster"]["server"] = "http://10.0.0.1:8080"
    cfg = load(write_config("config", d), env)  # kubectl only uses credentials over TLS: no error either
    assert cfg.auth_provider is None and getattr(cfg.credentials, "kind", None) == "none"


def test_expiry_is_ten_seconds_early() -> None:
    assert id_token_valid(jwt(NOW + 11), NOW)
    assert not id_token_valid(jwt(NOW + 10), NOW)
