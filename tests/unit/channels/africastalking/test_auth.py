"""Africa's Talking webhook access: deployment token by Basic auth or query, optional allow-list."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import pytest

from channels.africastalking.auth import check_webhook
from channels.errors import ChannelConfigError, Unauthorized

pytestmark = pytest.mark.unit

TOKEN = "s3cr3t-deployment-token"
AT_NETWORKS = ["196.201.214.0/24", "2001:db8::/32"]
AT_ADDRESS = "196.201.214.200"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + b64(f"{user}:{password}")}


@dataclass
class Case:
    label: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    remote_addr: str = AT_ADDRESS
    allowed: list[str] = field(default_factory=list)
    token: str = TOKEN
    error: type[Exception] | None = None


CASES = [
    Case("basic password", headers=basic("africastalking", TOKEN)),
    Case("basic with any username", headers=basic("", TOKEN)),
    Case("basic scheme in lower case", headers={"Authorization": "basic " + b64("x:" + TOKEN)}),
    Case("password containing a colon", headers=basic("u", "a:b"), token="a:b"),
    Case("non-ascii token", query={"token": "clé-ت"}, token="clé-ت"),
    Case("query token", query={"token": TOKEN}),
    Case("either one suffices", query={"token": "wrong"}, headers=basic("u", TOKEN)),
    Case("inside the allow-list", query={"token": TOKEN}, allowed=AT_NETWORKS),
    Case("ipv6 inside the allow-list", query={"token": TOKEN}, allowed=AT_NETWORKS,
         remote_addr="2001:db8::1"),
    Case("ipv4-mapped peer", query={"token": TOKEN}, allowed=AT_NETWORKS, remote_addr="::ffff:196.201.214.9"),
    Case("no credential", error=Unauthorized),
    Case("wrong query token", query={"token": TOKEN + "x"}, error=Unauthorized),
    Case("token prefix", query={"token": TOKEN[:-1]}, error=Unauthorized),
    Case("empty query token", query={"token": ""}, error=Unauthorized),
    Case("token as basic username only", headers=basic(TOKEN, ""), error=Unauthorized),
    Case("basic without colon", headers={"Authorization": "Basic " + b64(TOKEN)},
         error=Unauthorized),
    Case("basic not base64", headers={"Authorization": "Basic ***"}, error=Unauthorized),
    Case("bearer scheme", headers={"Authorization": "Bearer " + TOKEN}, error=Unauthorized),
    Case("outside the allow-list", query={"token": TOKEN}, allowed=AT_NETWORKS, remote_addr="203.0.113.7",
         error=Unauthorized),
    Case("unparseable peer", query={"token": TOKEN}, allowed=AT_NETWORKS, remote_addr="unknown",
         error=Unauthorized),
    Case("no token configured", query={"token": ""}, token="", error=ChannelConfigError),
    Case("bad network configured", query={"token": TOKEN}, allowed=["196.201.214.0/33"],
         error=ChannelConfigError),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_webhook_access(case: Case) -> None:
    def check() -> None:
        check_webhook(
            case.query, case.headers, case.remote_addr, token=case.token, allowed_networks=case.allowed
        )

    if case.error is None:
        check()
        return
    with pytest.raises(case.error) as raised:
        check()
    assert TOKEN not in str(raised.value), "an error message must not echo the token"
