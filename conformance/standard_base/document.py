"""``STANDARD_BASE.md``: the Kubernetes Standard Base written out from the tests themselves.

The document an operator cites ("our clusters pass the Standard Base, test ``kubeadm/ca-pin``")
must say what the code checks, so it is generated from what the code declares: each test's
``standard_base`` marker (id, needs, timeout, the upstream conformance codenames it stands for)
and its docstring (what it establishes), collected as a run collects them. Only the areas' own
minimums and the needs' meanings are prose, kept here beside the generator. The coverage matrix
(:mod:`conformance.standard_base.coverage`) closes the document: every upstream conformance spec
of the pinned release, covered by which test or left to e2e and why. A unit test fails when the
committed file and this rendering disagree. Regenerate with::

    python3 -m conformance.standard_base.document --write STANDARD_BASE.md
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance.standard_base.coverage import PINNED, BehaviourClass, Matrix, matrix_of
from conformance.standard_base.listing import Entry, collect_entries
from conformance.standard_base.marker import AREAS, Need

REGENERATE = "python3 -m conformance.standard_base.document --write STANDARD_BASE.md"

AREA_MINIMUMS: dict[str, tuple[str, str]] = {
    "api-machinery": (
        "The API serves discovery (plain and aggregated) and OpenAPI v3; objects are created, "
        "read, patched, applied server-side with field managers, validated field by field, "
        "watched from a resourceVersion and deleted; CustomResourceDefinitions extend the API; "
        "the garbage collector honours background, foreground and orphan deletion; namespaces "
        "are finalised; ResourceQuota counts; API priority and fairness objects work.",
        "Every client, controller and tool is built on these behaviours: when they are wrong, "
        "everything above fails in ways that look like its own bugs.",
    ),
    "auth": (
        "Requests are authenticated; authorization decides what RBAC grants and nothing more, "
        "and the review APIs tell the truth about it; anonymous requests get only what kubeadm "
        "grants them; ServiceAccounts get tokens that authenticate; every namespace gets the "
        "cluster CA; certificate signing requests are approved and signed.",
        "An authorizer that allows too much passes every functional test: only tests that "
        "expect a denial catch it. Workloads authenticate to the API with these tokens and CAs.",
    ),
    "kubeadm": (
        "What `kubeadm init` leaves behind and `kubeadm join` and `upgrade` rely on: cluster-info "
        "signed for every signing token and readable anonymously, bootstrap tokens that "
        "authenticate with the right groups and may do no more, the bootstrap signer and token "
        "cleaner at work, kubeadm's RBAC, `kubeadm-config` and `kubelet-config`, a CA pin that "
        "matches the API, certificates that are valid and name the API, the CoreDNS and "
        "kube-proxy objects, subnets that agree.",
        "Without these a cluster may serve its current workloads, but no node can join it and no "
        "upgrade can read its configuration.",
    ),
    "apps": (
        "The workload controllers do their work: a Deployment rolls out and back, a ReplicaSet "
        "scales and adopts, a StatefulSet orders its pods, a DaemonSet covers every node, a Job "
        "completes, a CronJob fires.",
        "This is how anything runs on a cluster; a controller that is off shows nowhere else.",
    ),
    "scheduling": (
        "Pods are bound to suitable nodes: node selectors, affinity, taints and tolerations, "
        "resource requests and LimitRange defaults are honoured.",
        "Placement rules are how operators keep workloads where they belong and off nodes that "
        "cannot hold them.",
    ),
    "network": (
        "Services get ClusterIPs inside the service subnet, EndpointSlices follow ready pods, the "
        "API server publishes itself, pods reach Services, and the cluster's DNS resolves them.",
        "Workloads find each other through Services and DNS. A missing CNI or a CoreDNS without "
        "ready pods is the most common broken kubeadm cluster.",
    ),
    "node": (
        "A real kubelet runs pods to completion, serves their logs, exec and port-forward, runs "
        "their probes and reports termination messages; its own API refuses anonymous and "
        "unauthorised requests.",
        "Simulated nodes show scheduling and controllers; only a real kubelet shows the runtime, "
        "the network plugin and the kubelet working together.",
    ),
    "storage": (
        "ConfigMap, Secret, downward API and emptyDir volumes reach the container with the "
        "right content and file modes.",
        "Configuration and secrets reach applications through these volumes.",
    ),
}

NEED_MEANINGS: dict[Need, str] = {
    Need.NODES: "a node the suite's pods can be scheduled to (a simulated one will do). A cluster "
    "with no Node at all, or whose nodes are all NotReady, cordoned or tainted "
    "against the suite's pods, is broken: these tests FAIL, naming each node and "
    "why.",
    Need.REAL_KUBELET: "a node a real kubelet runs, Ready and schedulable. A cluster whose nodes "
    "are all simulated (kwok) is another kind of cluster: these tests are "
    "skipped with that reason. A cluster with real nodes none of which is "
    "Ready is broken: they FAIL.",
    Need.DNS: "on a cluster with real nodes, a `kube-system/kube-dns` Service with a ready "
    "endpoint on a real node. Missing, or without a ready endpoint: the tests FAIL, "
    "naming the DNS pods' state. On a cluster of simulated nodes only, skipped as "
    "`real-kubelet` is.",
    Need.CLUSTER_ADMIN: "the user may do anything (`*` on `*.*`); another user is another kind "
    "of run: these tests are skipped with that reason.",
}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _header(entries: Sequence[Entry], matrix: Matrix) -> list[str]:
    codenames = sum(len(e.spec.conformance) for e in entries)
    native = len(matrix.classes) - len(matrix.without_native_test)
    return [
        "# The Kubernetes Standard Base",
        "",
        f"<!-- Generated from the tests' markers and docstrings by `{REGENERATE}`; "
        "do not edit by hand. -->",
        "",
        "The Standard Base is the minimum a Kubernetes cluster must do to count as working, "
        "checked by `kubeadm-verify cluster` against any cluster in about a minute (certified "
        "conformance takes hours). Each test has a stable id, `area/name`, to cite; what it "
        "establishes; what kind of cluster it needs; and the upstream conformance tests "
        "(codenames of `test/conformance/testdata/conformance.yaml`) whose ground it covers.",
        "",
        f"{len(entries)} tests in {len(AREAS)} areas, standing for {codenames} upstream "
        "conformance codenames.",
        "",
        f"They cover {matrix.covered} of the {len(matrix.rows)} conformance specs of "
        f"Kubernetes {PINNED}, and {native} of its {len(matrix.classes)} behaviour classes have a "
        "native test; the rest is left to the e2e tier, each spec with its reason "
        "([coverage](#coverage-of-the-conformance-set)).",
        "",
        "| area | tests | codenames | tests a real kubelet must carry |",
        "|---|---|---|---|",
        *[_summary_row(area, [e for e in entries if e.spec.area == area]) for area in AREAS],
        "",
    ]


def _summary_row(area: str, entries: Sequence[Entry]) -> str:
    real = sum(Need.REAL_KUBELET in e.spec.needs for e in entries)
    codenames = sum(len(e.spec.conformance) for e in entries)
    return f"| [{area}](#{area}) | {len(entries)} | {codenames} | {real} |"


def _needs_section() -> list[str]:
    lines = [
        "## Needs",
        "",
        "A need says what kind of cluster a test needs, never whether the cluster is healthy. "
        "A cluster of another kind skips the test with the reason; a cluster of the right kind "
        "that does not work fails it, saying what is missing. A skip never hides a fault.",
        "",
    ]
    lines += [f"- `{need}`: {NEED_MEANINGS[need]}" for need in Need]
    lines.append(
        "- `vX.Y+`: an API server of release X.Y or later (`/version`): the behaviour is served "
        "from that release on. An older release is another kind of cluster, whose own "
        "conformance set has no such test: skipped, naming both releases."
    )
    return [*lines, ""]


def _area_section(area: str, entries: Sequence[Entry]) -> list[str]:
    minimum, why = AREA_MINIMUMS[area]
    lines = [
        f"## {area}",
        "",
        f"**The minimum.** {minimum}",
        "",
        f"**Why.** {why}",
        "",
        "| test | what it establishes | needs | timeout | upstream conformance |",
        "|---|---|---|---|---|",
    ]
    for entry in entries:
        spec = entry.spec
        wanted = [f"`{n}`" for n in sorted(spec.needs)]
        if spec.since is not None:  # an older API server's release skips it
            wanted.append(f"v{spec.since[0]}.{spec.since[1]}+")
        needs = ", ".join(wanted) or "none"
        codenames = "<br>".join(f"`{_cell(c)}`" for c in spec.conformance) or "none"
        lines.append(
            f"| `{spec.id}` | {_cell(entry.doc)} | {needs} | {spec.timeout:g} s | {codenames} |"
        )
    return [*lines, ""]


def _kubeadm_defaults_section() -> list[str]:
    """kubeadm's defaults, each with its source line and the tests that observe it."""
    from conformance.standard_base.kubeadm_defaults import DEFAULTS, NOT_SET, SOURCE_ROOT

    lines = [
        "## kubeadm's defaults",
        "",
        "What `kubeadm init` v1.37.2 configures on purpose, each observed from outside by the "
        "tests named (a cluster that lost it fails them); sources are file:line under "
        f"`{SOURCE_ROOT}`, benchmark controls those of the CIS Kubernetes Benchmark v1.10 "
        "(`conformance/standard_base/kubeadm_defaults.py`).",
        "",
        "| default | component | kubeadm sets | source | CIS | observed by |",
        "|---|---|---|---|---|---|",
    ]
    for item in DEFAULTS:
        tests = "<br>".join(f"`{t}`" for t in item.tests)
        sets = _cell(item.sets + (f" ({item.note})" if item.note else ""))
        lines.append(
            f"| `{item.id}` | {item.component} | {sets} | `{item.source}` | "
            f"{item.cis or '-'} | {tests} |"
        )
    lines += [
        "",
        "Benchmark controls kubeadm does not meet by default (not defaults, so not observed):",
        "",
    ]
    lines += [f"- {control}: {why}." for control, why in NOT_SET]
    return [*lines, ""]


def _coverage_section(matrix: Matrix) -> list[str]:
    gap = matrix.without_native_test
    lines = [
        "## Coverage of the conformance set",
        "",
        f"Every `[Conformance]` spec of Kubernetes {PINNED} (`test/conformance/testdata/"
        "conformance.yaml`) is either covered by a Standard Base test, which names its codename, "
        "or left to the e2e tier (`kubeadm-verify e2e`) with a one-line reason "
        "(`conformance/standard_base/left-to-e2e.yaml`). Specs are grouped in behaviour classes, "
        "one per upstream e2e source file under `test/e2e/`; a class has a native test when a "
        "Standard Base test covers one of its specs.",
        "",
        f"{matrix.covered} of {len(matrix.rows)} specs covered; "
        f"{len(matrix.rows) - matrix.covered} left to e2e; "
        f"{len(matrix.classes) - len(gap)} of {len(matrix.classes)} classes with a native test.",
        "",
        "| class | specs | covered | native tests |",
        "|---|---|---|---|",
    ]
    for cls in matrix.classes:
        tests = ", ".join(f"`{t}`" for t in cls.tests) or "**none**"
        lines.append(
            f"| [{cls.name}](#{_anchor(cls)}) | {len(cls.rows)} | {cls.covered} | {tests} |"
        )
    lines += [
        "",
        f"### Classes without a native test ({len(gap)})",
        "",
        "The Standard Base's honest gap: no test of its own establishes any spec of these "
        "classes yet. A unit test holds this list to the code; it may only shrink.",
        "",
    ]
    lines += [f"- `{file}`" for file in gap] or ["None: every class has a native test."]
    lines.append("")
    for cls in matrix.classes:
        lines += _class_section(cls)
    return lines


def _anchor(cls: BehaviourClass) -> str:
    return "class-" + "".join(c if c.isalnum() else "-" for c in cls.name).lower()


def _class_section(cls: BehaviourClass) -> list[str]:
    lines = [
        f'<a id="{_anchor(cls)}"></a>',
        f"### {cls.name}",
        "",
        f"`{cls.file}`: {cls.covered} of {len(cls.rows)} covered.",
        "",
        "| spec | covered by, or left to e2e because |",
        "|---|---|",
    ]
    for row in cls.rows:
        where = (
            ", ".join(f"`{t}`" for t in row.tests)
            if row.covered
            else f"e2e: {_cell(row.reason or 'no reason given')}"
        )
        lines.append(f"| {_cell(row.spec.codename)} | {where} |")
    return [*lines, ""]


def render(entries: Sequence[Entry]) -> str:
    """The whole document for ``entries`` (every test, in run order)."""
    matrix = matrix_of([e.spec for e in entries])
    lines = _header(entries, matrix) + _needs_section()
    for area in AREAS:
        lines += _area_section(area, [e for e in entries if e.spec.area == area])
    lines += _kubeadm_defaults_section()
    lines += _coverage_section(matrix)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the document, or ``--write`` it to a file."""
    parser = argparse.ArgumentParser(
        prog="python3 -m conformance.standard_base.document",
        description="Write STANDARD_BASE.md from the tests.",
    )
    parser.add_argument("--write", metavar="PATH", help="write the document to PATH")
    args = parser.parse_args(argv)
    text = render(collect_entries())
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
