"""Node addressing: slots, /30 links and pod /24s, pure arithmetic."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from bootstrap.runtime.nodes.addressing import (
    DEFAULT_POD_SUBNET,
    Plan,
    choose_pod_subnet,
    cluster_id,
)


def test_links_and_pod_cidrs_of_a_slot() -> None:
    plan = Plan("abc123", 7, "10.244.0.0/16")
    assert str(plan.slot_network) == "10.213.7.0/24"
    assert (str(plan.uplink.near), str(plan.uplink.far)) == ("10.213.7.1", "10.213.7.2")
    assert (str(plan.node_link(1).near), str(plan.node_link(1).far)) == ("10.213.7.5", "10.213.7.6")
    assert str(plan.node_link(2).far) == "10.213.7.10"
    assert plan.pod_cidr(1) == "10.244.1.0/24"
    assert plan.pod_cidr(2) == "10.244.2.0/24"


def test_names_fit_the_kernels_limits_and_carry_the_prefix() -> None:
    plan = Plan(cluster_id(Path("/root/.cache/kubeadm-verify/clusters/x")), 1, DEFAULT_POD_SUBNET)
    assert len(plan.host_link) <= 15
    for name in (
        plan.host_link,
        plan.hub_netns,
        plan.node_netns(3),
        plan.cgroup_root(3)[1:],
        plan.node_name(3),
    ):
        assert name.startswith("kvn")
    assert plan.node_netns(1) != plan.node_netns(2)


def test_cluster_id_differs_per_state_dir() -> None:
    assert cluster_id(Path("/a")) != cluster_id(Path("/b"))
    assert len(cluster_id(Path("/a"))) == 6


def test_node_index_is_bounded() -> None:
    plan = Plan("abc123", 1, DEFAULT_POD_SUBNET)
    with pytest.raises(ValueError, match="outside"):
        plan.node_link(-1)
    with pytest.raises(ValueError, match="outside"):
        plan.node_link(61)


def test_control_plane_node_takes_the_last_link_and_the_first_pod_range() -> None:
    plan = Plan("abc123", 7, DEFAULT_POD_SUBNET)
    assert str(plan.node_link(0).far) == "10.213.7.254"
    assert plan.node_link(0).network != plan.node_link(60).network
    assert plan.pod_cidr(0) == "10.244.0.0/24"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("", DEFAULT_POD_SUBNET),
        ("10.32.0.0/12", "10.32.0.0/12"),
        ("fd00:10::/56,192.168.0.0/16", "192.168.0.0/16"),
        ("fd00:10::/56", DEFAULT_POD_SUBNET),
    ],
)
def test_the_configured_pod_subnet_or_the_default(given: str, expected: str) -> None:
    assert choose_pod_subnet(given, []) == expected


def _routes(*networks: str) -> list[ipaddress.IPv4Network]:
    return [ipaddress.IPv4Network(n) for n in networks]


def test_a_default_another_cluster_routes_is_passed_over() -> None:
    routed = _routes("10.213.1.0/24", "10.244.0.0/16", "192.0.2.0/24")
    assert choose_pod_subnet("", routed) == "10.245.0.0/16"
    assert choose_pod_subnet("", [*routed, ipaddress.IPv4Network("10.245.3.0/24")]) == (
        "10.246.0.0/16"
    )


def test_a_configured_pod_subnet_is_kept_even_when_routed() -> None:
    """The user's podSubnet is the controller-manager's and kube-proxy's too: never moved."""
    assert choose_pod_subnet("10.244.0.0/16", _routes("10.244.0.0/16")) == "10.244.0.0/16"


def test_every_default_taken_falls_back_to_kubeadms_usual() -> None:
    assert choose_pod_subnet("", _routes("10.240.0.0/12")) == DEFAULT_POD_SUBNET
