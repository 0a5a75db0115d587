"""Who may call Africa's Talking webhooks: AT signs nothing, so a deployment token (CHANNELS.md §7)."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Mapping, Sequence

from channels.base import Headers
from channels.errors import ChannelConfigError, Unauthorized

TOKEN_PARAMETER = "token"


def _basic_password(headers: Headers) -> str | None:
    scheme, _, encoded = headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")
    return password if colon else None


def _matches(candidate: str | None, token: str) -> bool:
    # Bytes, because compare_digest refuses non-ASCII str, and a stranger chooses the candidate.
    return candidate is not None and hmac.compare_digest(candidate.encode(), token.encode())


def _networks(allowed: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    try:
        return [ipaddress.ip_network(cidr.strip(), strict=False) for cidr in allowed]
    except ValueError as exc:
        raise ChannelConfigError(f"Africa's Talking allow-list holds a bad network: {exc}") from None


def _address_allowed(remote_addr: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        address = ipaddress.ip_address(remote_addr.strip())
    except ValueError:
        return False
    # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d, which no IPv4 network contains.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


# see https://docs.africastalking.com/sms/callback (no signature is documented, CHANNELS.md §14.4)
def check_webhook(
    form_or_query: Mapping[str, str],
    headers: Headers,
    remote_addr: str,
    *,
    token: str,
    allowed_networks: Sequence[str],
) -> None:
    """Raise Unauthorized unless the request carries the deployment token from an allowed network."""
    if not token:
        raise ChannelConfigError("no Africa's Talking webhook token configured")
    networks = _networks(allowed_networks)
    if networks and not _address_allowed(remote_addr, networks):
        raise Unauthorized("Africa's Talking webhook from an address outside the allow-list")
    candidates = (_basic_password(headers), form_or_query.get(TOKEN_PARAMETER))
    if not any(_matches(candidate, token) for candidate in candidates):
        raise Unauthorized("Africa's Talking webhook without the deployment token")
