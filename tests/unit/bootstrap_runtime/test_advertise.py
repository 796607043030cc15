"""kubeadm's default advertise address applies only where the configuration gives none."""

from __future__ import annotations

import ipaddress

from bootstrap.kubeadm.config import default_config
from bootstrap.runtime.advertise import default_route_address, with_advertise_address


def test_an_unset_address_gives_way_to_the_default_routes() -> None:
    config = default_config()
    assert config.endpoint.advertise_address == "127.0.0.1"
    moved = with_advertise_address(config, "192.0.2.7")
    assert moved.endpoint.advertise_address == "192.0.2.7"
    assert moved.endpoint.bind_port == config.endpoint.bind_port


def test_a_chosen_address_and_a_missing_route_change_nothing() -> None:
    config = with_advertise_address(default_config(), "192.0.2.7")
    assert with_advertise_address(config, "198.51.100.1").endpoint.advertise_address == "192.0.2.7"
    assert with_advertise_address(default_config(), None).endpoint.advertise_address == "127.0.0.1"


def test_the_default_route_address_is_never_loopback() -> None:
    address = default_route_address()
    assert address is None or not ipaddress.ip_address(address).is_loopback


def test_an_address_the_file_sets_is_kept_even_loopback() -> None:
    from bootstrap.kubeadm.config import parse_config

    text = (
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
        "localAPIEndpoint: {advertiseAddress: 127.0.0.1}\n"
    )
    config = parse_config(text).config
    assert with_advertise_address(config, "192.0.2.7").endpoint.advertise_address == "127.0.0.1"
