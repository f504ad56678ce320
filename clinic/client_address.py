"""The address a request came from: one answer for the rate limits, the sign-in lockout and the
audit trail.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only when the
connection comes from one of ``CLINIC_TRUSTED_PROXIES``: each proxy appends the address it was
connected from, so the entries right of the client's are the clinic's own proxies and anything
left of it is what the client typed. django-ipware reads the header (ports, brackets, IPv6,
IPv4-mapped addresses, malformed entries); this module decides how far to believe it.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from ipware import get_client_ip

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def is_trusted_proxy(address: str | None) -> bool:
    """Whether ``address`` is one of the clinic's own proxies (``CLINIC_TRUSTED_PROXIES``)."""
    networks = _networks(tuple(settings.CLINIC_TRUSTED_PROXIES))
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in networks)


def client_ip(request) -> str:
    """The address of whoever sent ``request``: the connection's own address, or behind the
    clinic's proxies the first ``X-Forwarded-For`` entry, from the right, that no proxy of
    ours wrote."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = 0
    while is_trusted_proxy(address):
        # The entry ``hops`` places from the right: what the proxy at ``address`` saw.
        forwarded, _routable = get_client_ip(
            request,
            proxy_count=hops,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
        )
        if forwarded is None:  # no header, or no entries left: the last proxy is all we know
            break
        address = forwarded
        hops += 1
    return address
