"""Webhook URLs may not point inside the platform's network (server-side request forgery).

A URL is allowed when it is ``https`` and every address its host resolves to is a public
one, or when its host is listed in ``WEBHOOK_ALLOWED_HOSTS`` (then ``http`` is allowed
too and the addresses are not checked). Checked at creation and again before every
send; the sender connects to the very address checked (``resolve_allowed``), so a DNS
answer that changes between the check and the connection cannot slip through.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from events.errors import WebhookUrlNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (for the Host header and TLS)
    port: int
    path: str  # path and query
    address: str  # the IP address to connect to


def _refuse(url: str, reason: str) -> WebhookUrlNotAllowed:
    return WebhookUrlNotAllowed(
        f"The webhook URL is not allowed: {reason}.",
        details={"violations": [{"field": "url", "reason": reason}], "url": url[:200]},
    )


def address_is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (a literal address resolves to itself, no lookup)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve_allowed(url: str) -> Target:
    """Where to send ``url``, or ``WebhookUrlNotAllowed``. Never connects."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse(url, "it is not a valid URL")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise _refuse(url, "it must be an https URL with a host")
    if parts.username is not None or parts.password is not None:
        raise _refuse(url, "credentials in the URL are not accepted")
    allowed = host in {name.lower().strip("[]") for name in settings.WEBHOOK_ALLOWED_HOSTS}
    if parts.scheme != "https" and not allowed:
        raise _refuse(url, "it must use https")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError):
        raise _refuse(url, "its host does not resolve")
    if not addresses:
        raise _refuse(url, "its host does not resolve")
    if not allowed:
        for address in addresses:
            if not address_is_public(ipaddress.ip_address(address.split("%")[0])):
                raise _refuse(url, "its host resolves to an internal address")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=addresses[0])
