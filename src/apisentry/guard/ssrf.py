"""SSRF: values that point the server at itself, its network or the cloud metadata service,
in any spelling the resolver accepts (decimal 2130706433, octal 0177.1, hex 0x7f.1, IPv4-mapped
IPv6, `fd00:ec2::254`)."""

from __future__ import annotations

import ipaddress
import re
import socket

_URLISH = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]{1,15}:)?//(?:[^/@\s]*@)?(\[[^\]]{1,60}\]|[^/\s?#:\\]{1,253})", re.IGNORECASE)
_HOSTISH = re.compile(r"^\s*(\[[0-9a-f:.]{2,60}\]|[0-9a-fx.]{1,40}|[a-z0-9.-]{1,253})(?::\d{1,5})?\s*$", re.IGNORECASE)
_IPISH = re.compile(r"[0-9a-fA-FxX.:]+")
_NUMBERISH = re.compile(r"^\d+(?:\.\d+)?$")
_METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "metadata.goog", "instance-data",
                             "instance-data.ec2.internal", "metadata.azure.com", "169.254.169.254.nip.io"})
_METADATA_IPS = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                           ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("169.254.170.2"),
                           ipaddress.ip_address("192.0.0.192")})

# First octets of every IPv4 range that ipaddress counts as private, loopback, link-local or
# unspecified (0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16,
# 198.18/15, 203.0.113/24, ...), and the multicast and reserved 224/3.
_INTERNAL_FIRST_OCTETS = frozenset({0, 10, 100, 127, 169, 172, 192, 198, 203, *range(224, 256)})


def parse_host(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP in any spelling inet_aton or inet_pton accepts, or None for a name."""
    h = host.strip("[]").split("%", 1)[0]
    if not _IPISH.fullmatch(h):
        return None  # a name: skip the (exception-raising) parsers
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    if ":" in h:
        try:
            ip = ipaddress.IPv6Address(h)
        except ValueError:
            return None
    else:
        # inet_aton reads every IPv4 spelling a resolver does, dotted quads included, and fails
        # faster than ipaddress (a version number such as 4.12.0 is 4.12.0.0 to it, and public).
        if not h or not h[0].isdigit():
            return None
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(h))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


_EMBEDDED_URL = re.compile(r"(?<![\w.+-])(?:https?|ftp|gopher|dict)://[^\s\"'<>()\\]{1,300}", re.IGNORECASE)


def classify_anywhere(value: str) -> tuple[int, str] | None:
    """`classify` for the whole value, or else for URLs inside it (`<a href="http://0x7f.1/">`,
    `endpoint=http://169.254.169.254/`). An internal address inside text is only weak evidence,
    since text mentions `http://localhost:8080` often enough; a metadata address or an obfuscated
    spelling is not something text mentions by chance."""
    hit = classify(value)
    if hit is not None or "://" not in value or (value.count("://") == 1 and _URLISH.match(value)):
        return hit  # no URL inside, or the value is one URL and classify has judged it
    best: tuple[int, str] | None = None
    for url in _EMBEDDED_URL.findall(value)[:4]:
        found = _target(url)
        if found is None:
            continue
        weight, why, telling = found
        if not telling:
            weight = min(weight, 2)
        if best is None or weight > best[0]:
            best = (weight, why + " (inside the value)")
    return best


def classify(value: str) -> tuple[int, str] | None:
    """(weight, why) when the value names an internal target; None otherwise."""
    hit = _target(value)
    return None if hit is None else (hit[0], hit[1])


def _target(value: str) -> tuple[int, str, bool] | None:
    """(weight, why, telling): telling for a metadata service or an obfuscated spelling, which
    no text names by chance."""
    if len(value) > 2048:
        return None
    m = _URLISH.match(value)
    is_url = m is not None
    if not m:
        m = _HOSTISH.match(value)
        if not m:
            return None
    host = m.group(1).lower().rstrip(".")
    if not is_url and not ("." in host or ":" in host):
        return None  # a bare number or word in a field is data, not a host
    if host in _METADATA_NAMES or host.endswith(".metadata.google.internal"):
        return 5, f"cloud metadata host {host}", True
    ip = parse_host(host)
    if ip is None:
        if host == "localhost" or host.endswith(".localhost"):
            return (5 if is_url else 3), "loopback name", False
        return None
    if ip.version == 4 and int(ip) >> 24 not in _INTERNAL_FIRST_OCTETS:
        # Public (this test first: it spares ipaddress's slow checks for version numbers such
        # as 4.12.0). A URL that spells it in octal, hex or as one number hides where it
        # points; no client writes an address that way but to slip past a filter.
        if is_url and str(ip) != host.strip("[]"):
            return 5, f"address {ip} in an obfuscated spelling", True
        return None
    if ip in _METADATA_IPS:
        return 5, f"cloud metadata address {ip}", True
    literal = str(ip) != host.strip("[]")
    # A URL naming an internal address is what SSRF looks like; a bare private IP in a field is
    # often just data (an inventory API), so it only adds weight.
    if literal and not is_url and _NUMBERISH.match(host):
        return None  # 10.5 is a price before it is 10.0.0.5
    spelled = " (obfuscated spelling)" if literal else ""
    if ip.is_loopback or ip.is_unspecified:
        return (5 if is_url or literal else 3), f"loopback address {ip}{spelled}", literal
    if ip.is_link_local:
        return (5 if is_url or literal else 3), f"link-local address {ip}{spelled}", literal
    if ip.is_private:
        return (5 if literal or is_url else 1), f"private address {ip}{spelled}", literal
    return None
