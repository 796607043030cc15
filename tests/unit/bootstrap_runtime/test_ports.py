"""Free ports, the resolution of port 0, and the record that keeps it stable."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from bootstrap.kubeadm.configtypes import APIEndpoint, BootstrapConfig, ExtraArg, LocalPorts
from bootstrap.runtime import ports
from kubeadm_verify.record import replace


def zeroed(config: BootstrapConfig) -> BootstrapConfig:
    return replace(config, endpoint=APIEndpoint("127.0.0.1", 0), ports=LocalPorts(0, 0, 0, 0, 0))


def test_free_port_is_bindable_and_below_the_ephemeral_range() -> None:
    port = ports.free_port()
    assert 20000 <= port < ports.ephemeral_range()[0]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_a_listening_port_is_seen_and_avoided() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        assert ports.is_listening(busy)
        assert not ports.can_bind(busy)
        assert ports.free_port(avoid=[busy]) != busy


def test_fixed_ports_stay_and_zeros_get_distinct_free_ones(config: BootstrapConfig) -> None:
    assert ports.pick(config) == {
        "bind_port": 6443,
        "etcd_client": 2379,
        "etcd_peer": 2380,
        "etcd_metrics": 2381,
        "controller_manager": 10257,
        "scheduler": 10259,
    }
    chosen = ports.pick(zeroed(config))
    assert len(set(chosen.values())) == 6
    assert all(port > 0 for port in chosen.values())


def test_recorded_ports_are_reused(config: BootstrapConfig) -> None:
    recorded = {"bind_port": 31000, "etcd_client": 31001}
    chosen = ports.pick(zeroed(config), recorded)
    assert chosen["bind_port"] == 31000 and chosen["etcd_client"] == 31001


def test_apply_leaves_no_zero_anywhere(config: BootstrapConfig) -> None:
    cluster = replace(
        config.cluster, scheduler_extra_args=(ExtraArg("secure-port", "0"), ExtraArg("v", "2"))
    )
    config = replace(zeroed(config), cluster=cluster)
    resolved = ports.apply(config, ports.pick(config))
    assert resolved.endpoint.bind_port > 0
    assert 0 not in vars(resolved.ports).values()
    assert resolved.cluster.scheduler_extra_args == (
        ExtraArg("secure-port", str(resolved.ports.scheduler)),
        ExtraArg("v", "2"),
    )


def test_ports_of_other_clusters_are_read_from_their_records(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "cluster.json").write_text(json.dumps({"ports": {"x": 30001, "y": 0}}))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "cluster.json").write_text("garbage")
    assert ports.recorded_ports(tmp_path) == {30001}


def test_all_free_moves_every_default_port_and_keeps_chosen_ones() -> None:
    from bootstrap.kubeadm.config import default_config

    config = default_config("n")
    freed = ports.all_free(config)
    assert freed.endpoint.bind_port == 0
    assert freed.ports == LocalPorts(0, 0, 0, 0, 0)
    chosen = replace(
        config,
        endpoint=APIEndpoint("127.0.0.1", 7443),
        ports=replace(config.ports, etcd_client=12379),
    )
    kept = ports.all_free(chosen)
    assert kept.endpoint.bind_port == 7443 and kept.ports.etcd_client == 12379
    assert kept.ports.scheduler == 0
