"""``docs/upgrading.md``, "Upgrading Kubernetes the hard way": every command the upgrade runs,
every wait and its bound, from the code that runs them, and how long each took in a recorded
run on this machine.

The commands and bounds come from ``bootstrap.kubeadmrun.upgrade`` (the same functions build the
argv it runs), the UpgradeConfiguration from ``kubeadmconfig.upgrade_config``, the timings from
``docs/upgrade-run.json``: the ``results.json`` of a real ``kubeadm-verify upgrade`` of one
control plane and two workers, with the machine's load beside it. A unit test fails when the
committed document and this rendering disagree, or when the recorded run's steps are not the
ones the code runs. Regenerate with::

    python3 -m bootstrap.kubeadmrun.upgradedoc --write docs/upgrading.md
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bootstrap.kubeadmrun import keepanswering, kubeadmconfig
from bootstrap.kubeadmrun import upgrade as up
from bootstrap.kubeadmrun.upgradereport import TIER
from kubeadm_verify.pins import KUBERNETES_VERSION, UPGRADE_FROM_VERSION

RECORDED = Path("docs/upgrade-run.json")
REGENERATE = "python3 -m bootstrap.kubeadmrun.upgradedoc --write docs/upgrading.md"
NODE = "NODE"


def planned_ids(control_planes: int, workers: int, workload: bool = True) -> list[str]:
    """The result ids a run on such a cluster reports, in order, when every step passes."""
    ids = [f"{TIER}/cluster/images"] + ([f"{TIER}/cluster/workload"] if workload else [])
    roles = [f"control-plane-{n}" for n in range(1, control_planes + 1)]
    roles += [f"worker-{n}" for n in range(1, workers + 1)]
    for index, role in enumerate(roles):
        ids += [f"{TIER}/{role}/{step.replace(' ', '-')}" for step in up.node_steps(index == 0)]
    return [
        *ids,
        f"{TIER}/cluster/addons",
        f"{TIER}/cluster/version-skew",
        f"{TIER}/workload/kept-answering",
    ]


def _command(step: str) -> str:
    if step == "kubeadm":
        return (
            f"copy the new kubeadm to `{kubeadmconfig.KUBEADM_IN_NODE}` and write "
            f"`{kubeadmconfig.UPGRADE_CONFIG_PATH}` (below)"
        )
    if step in up.KUBEADM_ARGS:
        return f"in the node: `{shlex.join(up.kubeadm_in_node(step))}`"
    if step in ("drain", "uncordon"):
        kubectl = ["kubectl", "--kubeconfig", "admin.conf", *up.kubectl_args(step, NODE)]
        return f"`{shlex.join(kubectl)}`"
    return (
        f"copy the new kubelet to `{kubeadmconfig.KUBELET_IN_NODE}`, restart the kubelet's unit, "
        "wait for the Node to be Ready and report the new version; on a control plane, then for "
        f"the API server to answer `/readyz` for {up.SETTLED_S:g} s without a break and the "
        "controller-manager and scheduler to hold their leases again"
    )


def _bound(step: str) -> str:
    if step in up.KUBEADM_TIMEOUTS:
        return f"{up.KUBEADM_TIMEOUTS[step]:g} s"
    if step in ("drain", "uncordon"):
        return f"{up.DRAIN_TIMEOUT_S:g} s"
    if step == "kubelet":
        return f"{up.KUBELET_TIMEOUT_S:g} s for the Node, {up.SETTLE_TIMEOUT_S:g} s for the API"
    return "-"


def render(recorded: dict[str, Any]) -> str:
    checks = {c["id"]: c for c in recorded["checks"]}

    def took(check_id: str) -> str:
        found = checks.get(check_id)
        return f"{found['duration_s']:.1f} s" if found else "-"

    lines = [
        "# Upgrading Kubernetes the hard way",
        "",
        "What `kubeadm-verify upgrade` does to a cluster `kubeadm-verify up --kubeadm` made, "
        'command by command, as kubeadm\'s own "Upgrading kubeadm clusters" procedure has an '
        "operator do it, with each wait's bound and how long it took in a recorded run "
        f"({recorded['from']} to {recorded['to']}, one control plane and two workers, on "
        f"{recorded['machine']}, started {recorded['started']}). Generated from the code "
        f"(`{REGENERATE}`); a unit test holds the two together.",
        "",
        "## Before any node",
        "",
        "| step | what is run | bound | took |",
        "|---|---|---|---|",
        "| images | every node: `ctr images import` of the new release's images its nodes do not "
        "hold yet under the same name (kube-proxy, CoreDNS; the control-plane images on control "
        "planes), so nothing is pulled "
        f"| - | {took(f'{TIER}/cluster/images')} |",
        f"| workload | the workload that must keep answering (`{keepanswering.NAMESPACE}`): two "
        f"replicas on two workers behind a NodePort Service, a PodDisruptionBudget, a prober pod; "
        f"ready | {keepanswering.READY_TIMEOUT_S:g} s | {took(f'{TIER}/cluster/workload')} |",
        "",
    ]
    for role, first in (("control-plane-1", True), ("worker-1", False), ("worker-2", False)):
        title = "The first control plane" if first else f"Then {role}"
        lines += [f"## {title}", "", "| step | what is run | bound | took |", "|---|---|---|---|"]
        for step in up.node_steps(first):
            check_id = f"{TIER}/{role}/{step.replace(' ', '-')}"
            lines.append(f"| {step} | {_command(step)} | {_bound(step)} | {took(check_id)} |")
        lines.append("")
    kept = checks.get(f"{TIER}/workload/kept-answering", {})
    skew = checks.get(f"{TIER}/cluster/version-skew", {})
    lines += [
        "## After every node",
        "",
        f"kube-proxy rolled out at the new release on every node (bound "
        f"{up.ADDONS_TIMEOUT_S:g} s): {took(f'{TIER}/cluster/addons')}. The whole upgrade took "
        f"{recorded['duration_s']:.1f} s. The workload: {kept.get('message', 'not recorded')}.",
        "",
        "After each step every component's release was read back (static pods' and kube-proxy's "
        "images, the Nodes' kubelet versions) and held to the version-skew policy: "
        f"{skew.get('message', 'not recorded')}.",
        "",
        f"## `{kubeadmconfig.UPGRADE_CONFIG_PATH}` (every node)",
        "",
        "```yaml",
        kubeadmconfig.upgrade_config(recorded["to"]).rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def record(results: Path, old: str, new: str) -> None:
    """``docs/upgrade-run.json`` from an upgrade's ``results.json`` (``kubeadm-verify upgrade
    --format json``), with the releases and the machine it ran on."""
    run = json.loads(results.read_text(encoding="utf-8"))
    run.update({"from": old, "to": new, "machine": f"{os.cpu_count()} cores"})
    RECORDED.write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write docs/upgrading.md from the code")
    parser.add_argument("--write", metavar="FILE", help="write here instead of stdout")
    parser.add_argument(
        "--record",
        metavar="RESULTS",
        type=Path,
        help=f"first keep this upgrade's results.json as {RECORDED} (with --from, --to)",
    )
    parser.add_argument("--from", dest="old", default=UPGRADE_FROM_VERSION)
    parser.add_argument("--to", dest="new", default=KUBERNETES_VERSION)
    args = parser.parse_args(argv)
    if args.record:
        record(args.record, args.old, args.new)
    text = render(json.loads(RECORDED.read_text(encoding="utf-8")))
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
