"""Sending one signed request to an endpoint, to an address checked at the moment of sending.

An endpoint's name is resolved again for every attempt and the connection goes to the address
that was checked (the Host header and TLS name stay the endpoint's), so a name that resolved to a
public address when it was added cannot be pointed at the hospital's own network later (DNS
rebinding). Redirects are not followed, for the same reason.
"""
import ipaddress
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import certifi
import urllib3
from standardwebhooks import Webhook

USER_AGENT = "PostReady-Webhooks/1.0"
EXCERPT = 500  # characters of the receiver's answer kept in the log


class AddressRefused(Exception):
    """The URL is not one PostReady will send to; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address the connection goes to


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    duration_ms: int
    error: str = ""
    excerpt: str = ""


def refusal(address: str) -> str | None:
    """Why an IP address is not a public one (None: it is)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or not ip.is_global or ip.is_multicast:
        return "a private or reserved address"
    return None


def check_url(url: str, allow_private: bool) -> Target:
    """Parse and resolve an endpoint URL; raises AddressRefused with a reason people can act on."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AddressRefused("Give the full address, starting with https://.")
    if parts.scheme == "http" and not allow_private:
        raise AddressRefused("The address must start with https:// (deliveries carry people's names).")
    if parts.username or parts.password:
        raise AddressRefused("Leave the user name and password out of the address; the signature authenticates.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise AddressRefused(f"{parts.hostname} could not be resolved ({exc}).") from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason:
                raise AddressRefused(f"{parts.hostname} resolves to {address}, {reason}. Webhooks go only to "
                                     "public addresses unless WEBHOOK_ALLOW_PRIVATE=on.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def signature(secrets: list[str], message_id: str, sent_at: datetime, body: str) -> str:
    """Standard Webhooks' v1 signature with each secret (two while a rotation is under way)."""
    return " ".join(Webhook(secret).sign(message_id, sent_at, body) for secret in secrets)


def send(url: str, message_id: str, body: str, secrets: list[str], sent_at: datetime, timeout: float,
         allow_private: bool) -> Answer:
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = check_url(url, allow_private)
    except AddressRefused as exc:
        return Answer(None, took(), f"Refused: {exc}")
    headers = {
        "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "webhook-id": message_id, "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature(secrets, message_id, sent_at, body),
    }
    limits = urllib3.Timeout(total=timeout)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(target.address, target.port, timeout=limits, retries=False,
                                           server_hostname=target.host, assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED", ca_certs=certifi.where())
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=limits, retries=False)
    try:
        with pool:
            response = pool.urlopen("POST", target.path, body=body.encode(), headers=headers, redirect=False,
                                    assert_same_host=False, preload_content=False)
            excerpt = response.read(EXCERPT * 4, decode_content=True).decode("utf-8", "replace")[:EXCERPT]
            response.release_conn()
            return Answer(response.status, took(), "", excerpt)
    except urllib3.exceptions.TimeoutError:
        return Answer(None, took(), f"Timed out after {timeout:g} s.")
    except urllib3.exceptions.HTTPError as exc:
        return Answer(None, took(), f"Connection failed: {type(exc).__name__}: {exc}"[:EXCERPT])
