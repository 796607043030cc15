"""Component flags and uploaded ConfigMaps beside ``kubeadm init --dry-run`` (v1.37.2).

kubeadm writes its manifests to ``KUBEADM_INIT_DRYRUN_DIR`` (a temporary dir here, so nothing
under ``/etc/kubernetes`` is touched) and prints every object it would create. We render the same
configuration: the command of each control-plane component (our state dir's paths mapped back to
``/etc/kubernetes``), and the ``kubeadm-config``, ``kubelet-config`` and ``kube-proxy``
ConfigMaps, compared as YAML data. No extra flag, no extra field, nothing missing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bootstrap.kubeadm import addons, components, objects
from bootstrap.kubeadm.config import load_config
from bootstrap.runtime.state import StateDir

pytestmark = pytest.mark.integration

CONFIG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: 192.0.2.10, bindPort: 6443}
nodeRegistration: {name: kvboot-node, criSocket: unix:///run/kvboot.sock}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.2
networking: {podSubnet: 10.244.0.0/16}
controllerManager:
  extraArgs:
  - {name: v, value: "2"}
"""
CONTROL_PLANE = (components.APISERVER, components.CONTROLLER_MANAGER, components.SCHEDULER)
_ATTACHED = re.compile(r"^\[dryrun\] Attached object:\n(.*?)\n\n", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """(kubeadm's dry-run dir, its stdout, our state dir with certificates)."""
    from bootstrap.upstream.binaries import ensure_binaries

    kubeadm = ensure_binaries(source="build") / "kubeadm"
    base = tmp_path_factory.mktemp("kvboot-dryrun")
    config = base / "config.yaml"
    config.write_text(CONFIG)
    out = base / "kubeadm"
    out.mkdir()
    env = {**os.environ, "KUBEADM_INIT_DRYRUN_DIR": str(out)}
    done = subprocess.run(
        [
            str(kubeadm),
            "init",
            "--dry-run",
            "--config",
            str(config),
            "--ignore-preflight-errors=all",
            "--skip-phases=preflight",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ours = base / "ours"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeadm_verify",
            "phase",
            "certs",
            "--config",
            str(config),
            "--name",
            "kvboot-dryrun",
            "--state-dir",
            str(ours),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out, done.stdout, ours


def kubeadm_manifest(out: Path, component: str) -> dict[str, Any]:
    found = sorted(out.rglob(f"{component}.yaml"))
    assert found, f"no {component}.yaml under {out}: {sorted(p.name for p in out.rglob('*'))}"
    return dict(yaml.safe_load(found[0].read_text()))


def our_command(component: str, ours: Path) -> list[str]:
    config = load_config(ours.parent / "config.yaml").config
    state = StateDir(ours, "kvboot-dryrun")
    text = "\0".join(components.command(component, config, state))
    return (
        text.replace(str(ours / "pki"), "/etc/kubernetes/pki")
        .replace(f"{ours}/", "/etc/kubernetes/")
        .split("\0")
    )


@pytest.mark.parametrize("component", CONTROL_PLANE)
def test_component_flags_are_kubeadms(dry_run: tuple[Path, str, Path], component: str) -> None:
    out, _, ours = dry_run
    pod = kubeadm_manifest(out, component)
    theirs = pod["spec"]["containers"][0]["command"]
    assert our_command(component, ours) == theirs


def attached_objects(stdout: str) -> list[dict[str, Any]]:
    """Every object kubeadm's dry-run client prints (YAML up to a blank line)."""
    found = []
    for block in _ATTACHED.findall(stdout):
        loaded = yaml.safe_load(block)
        if isinstance(loaded, dict):
            found.append(loaded)
    return found


def kubeadm_config_map(stdout: str, namespace: str, name: str) -> dict[str, Any]:
    for obj in attached_objects(stdout):
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "ConfigMap" and (meta.get("namespace"), meta.get("name")) == (
            namespace,
            name,
        ):
            return obj
    raise AssertionError(f"kubeadm --dry-run printed no ConfigMap {namespace}/{name}")


def same_config_map(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    """The same text in every data key, and so the same hash annotation (if any)."""
    for key in sorted(set(mine["data"]) | set(theirs["data"])):
        assert mine["data"].get(key) == theirs["data"].get(key), key
    assert mine["metadata"] == theirs["metadata"]


def our_config_map(objs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    [config_map] = [
        obj for obj in objs if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == name
    ]
    return config_map


def test_kubeadm_config_is_kubeadms(dry_run: tuple[Path, str, Path]) -> None:
    _, stdout, ours = dry_run
    config = load_config(ours.parent / "config.yaml").config
    mine = our_config_map(objects.kubeadm_config_objects(config), "kubeadm-config")
    same_config_map(mine, kubeadm_config_map(stdout, "kube-system", "kubeadm-config"))


def test_kubelet_config_is_kubeadms(dry_run: tuple[Path, str, Path]) -> None:
    _, stdout, ours = dry_run
    config = load_config(ours.parent / "config.yaml").config
    resolv = "/run/systemd/resolve/resolv.conf"
    kubelet = objects.kubelet_configuration(config, resolv if os.path.exists(resolv) else None)
    mine = our_config_map(objects.kubelet_config_objects(kubelet), "kubelet-config")
    same_config_map(mine, kubeadm_config_map(stdout, "kube-system", "kubelet-config"))


def test_kube_proxy_config_is_kubeadms(dry_run: tuple[Path, str, Path]) -> None:
    """kubeadm v1.37.2 writes ``mode: iptables`` and every zero-valued field: so do we."""
    _, stdout, ours = dry_run
    config = load_config(ours.parent / "config.yaml").config
    mine = our_config_map(addons.kube_proxy_objects(config), "kube-proxy")
    same_config_map(mine, kubeadm_config_map(stdout, "kube-system", "kube-proxy"))
