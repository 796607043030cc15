"""Would Go's ``http.ProxyFromEnvironment`` send a request through a proxy? (kubeadm's HTTPProxy).

Go's rules (``golang.org/x/net/http/httpproxy``): ``HTTPS_PROXY``/``https_proxy`` for https,
``NO_PROXY``/``no_proxy`` as a comma list of ``*``, IPs, CIDRs and domains (``foo.com`` and
``.foo.com`` both match subdomains), optionally with a port; ``localhost`` and loopback IPs
never go through a proxy. urllib's ``proxy_bypass_environment`` knows no CIDRs, hence this.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping


def _env(environ: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = environ.get(name, "")
        if value:
            return value
    return ""


def proxy_for(scheme: str, host: str, port: str, environ: Mapping[str, str]) -> str:
    """The proxy URL a request to ``scheme://host:port`` would use, or ``""`` for a direct one."""
    proxy = (
        _env(environ, "HTTPS_PROXY", "https_proxy")
        if scheme == "https"
        else _env(environ, "HTTP_PROXY", "http_proxy")
    )
    if not proxy:
        return ""
    if "://" not in proxy:
        proxy = "http://" + proxy
    if not _use_proxy(host, port, _env(environ, "NO_PROXY", "no_proxy")):
        return ""
    return proxy


def _use_proxy(host: str, port: str, no_proxy: str) -> bool:
    host = host.lower().strip("[]")
    if host == "localhost":
        return False
    ip = _ip(host)
    if ip is not None and ip.is_loopback:
        return False
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return False
        if _matches(entry, host, port, ip):
            return False
    return True


def _matches(
    entry: str, host: str, port: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
) -> bool:
    if "/" in entry:
        try:
            return ip is not None and ip in ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return False
    name, entry_port = entry, ""
    if entry.startswith("[") and "]" in entry:
        name, _, rest = entry[1:].partition("]")
        entry_port = rest.lstrip(":")
    elif entry.count(":") == 1:
        name, entry_port = entry.split(":")
    if entry_port and entry_port != port:
        return False
    entry_ip = _ip(name)
    if entry_ip is not None:
        return ip is not None and entry_ip == ip
    domain = name.lstrip("*").lstrip(".")
    return host == domain or host.endswith("." + domain)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
