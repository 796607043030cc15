"""The DNS probe's script and the parsing of what busybox's nslookup printed (recorded text)."""

from __future__ import annotations

from conformance.dnsprobe import MARK, absolute, answers, script

# busybox (Debian's 1.35 and the e2e image's 1.37): the server first (its address must not
# count), then the answer, or an error; older busybox numbers its answers ("Address 1:").
RECORDED = f"""\
{MARK} kubernetes.default.svc.cluster.local.
Server:\t\t10.96.0.10
Address:\t10.96.0.10:53


Name:\tkubernetes.default.svc.cluster.local
Address: 10.96.0.1

{MARK} dns-target.kv-ns.svc.cluster.local.
Server:\t\t10.96.0.10
Address:\t10.96.0.10:53

** server can't find dns-target.kv-ns.svc.cluster.local: NXDOMAIN

{MARK} pypi.org.
Server:		10.255.255.53
Address:	10.255.255.53:53

Non-authoritative answer:

Non-authoritative answer:
Name:	pypi.org
Address: 203.0.113.80

{MARK} six.kv-ns.svc.cluster.local.
Server:    10.96.0.10
Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local

Name:      six.kv-ns.svc.cluster.local
Address 1: fd00::2b six.kv-ns.svc.cluster.local
"""


def test_names_are_asked_as_absolute_names() -> None:
    assert absolute("a.b") == "a.b." and absolute("a.b.") == "a.b."
    text = script(["kubernetes.default.svc.cluster.local", "x.y"])
    assert "nslookup kubernetes.default.svc.cluster.local. 2>&1" in text
    assert f"echo '{MARK} x.y.'" in text


def test_only_the_answer_counts_not_the_server() -> None:
    assert answers(RECORDED) == {
        "kubernetes.default.svc.cluster.local.": ["10.96.0.1"],
        "dns-target.kv-ns.svc.cluster.local.": [],
        "pypi.org.": ["203.0.113.80"],
        "six.kv-ns.svc.cluster.local.": ["fd00::2b"],
    }


def test_a_server_that_answers_nothing_gives_no_address() -> None:
    cut = f"{MARK} a.b.\nServer:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n"
    assert answers(cut) == {"a.b.": []}
    assert answers("") == {}
