"""The CoreDNS configuration for a cluster with no way out: kubeadm's, without ``forward``.

kubeadm's Corefile forwards every other name to the host's resolver; with no network that makes
each unknown lookup wait for a timeout (and leaks the name to the host's resolver). Here the
cluster's zones are served as kubeadm serves them, and every other name is answered NXDOMAIN at
once. It replaces the ``coredns`` ConfigMap's Corefile when the first node joins; CoreDNS's
``reload`` picks it up.
"""

from __future__ import annotations

OFFLINE_COREFILE = """\
{domain}:53 in-addr.arpa:53 ip6.arpa:53 {{
    errors
    health {{
       lameduck 5s
    }}
    ready
    kubernetes {domain} in-addr.arpa ip6.arpa {{
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }}
    prometheus :9153
    cache 30 {{
       disable success {domain}
       disable denial {domain}
    }}
    loop
    reload
    loadbalance
}}
.:53 {{
    errors
    template ANY ANY {{
       rcode NXDOMAIN
    }}
}}
"""


def offline_corefile(domain: str) -> str:
    return OFFLINE_COREFILE.format(domain=domain)
