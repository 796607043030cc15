# ruff: noqa: E501  (spec names are long and are kept whole, one per line)
"""The four modes: which specs each runs, how many ginkgo processes, and how filters combine.

- ``quick``: one pod is created and removed (sonobuoy's quick mode); proves API, scheduling and
  kubelet work, nothing more.
- ``standard-base``: a curated list of cheap, non-serial ``[Conformance]`` specs, one or two per
  capability (see ``STANDARD_BASE``), resolved against ``e2e.test --list-tests`` of the release
  that runs them.
- ``conformance``: every spec labelled ``Conformance``, in parallel; ginkgo defers ``[Serial]``
  specs to the end by itself.
- ``certified``: every ``[Conformance]`` spec, serially, with the exact focus and no skip a CNCF
  submission requires; ``--focus``/``--skip`` are refused because they would void it.

``--focus``/``--skip`` narrow a mode, never widen it. Ginkgo ORs repeated ``--focus`` flags, so a
curated mode applies the user's regexes here, to its list, and hands ginkgo the exact names; the
``conformance`` mode selects by label (ginkgo ANDs a label filter with the focus) and passes the
user's regexes through. Regexes see ``"Kubernetes e2e suite <spec>"``, as ginkgo's do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kubeadm_verify.errors import UsageError

SUITE = "Kubernetes e2e suite"
CONFORMANCE_FOCUS = r"\[Conformance\]"

QUICK = ("[sig-node] Pods should be submitted and removed [Conformance] [NodeConformance]",)

STANDARD_BASE = (
    # pods and kubelet
    "[sig-node] Pods should be submitted and removed [Conformance] [NodeConformance]",
    "[sig-node] Kubelet when scheduling a busybox command in a pod should print the output to logs [Conformance] [NodeConformance]",
    "[sig-node] Container Runtime blackbox test on terminated container should report termination message from log output if TerminationMessagePolicy FallbackToLogsOnError is set [Conformance] [NodeConformance]",
    "[sig-node] Probing container with readiness probe should not be ready before initial delay and never restart [Conformance] [NodeConformance]",
    # configuration
    "[sig-storage] ConfigMap should be consumable from pods in volume [Conformance] [NodeConformance]",
    "[sig-node] Secrets should be consumable from pods in env vars [Conformance] [NodeConformance]",
    "[sig-storage] EmptyDir volumes should support (root,0644,tmpfs) [LinuxOnly] [Conformance] [NodeConformance]",
    "[sig-storage] Downward API volume should provide container's cpu limit [Conformance] [NodeConformance]",
    # workloads
    "[sig-apps] Deployment RollingUpdateDeployment should delete old pods and create new ones [Conformance]",
    "[sig-apps] ReplicaSet should serve a basic image on each replica with a public image [Conformance]",
    "[sig-apps] Job should run a job to completion when tasks sometimes fail and are locally restarted [Conformance]",
    # network
    "[sig-network] DNS should provide DNS for the cluster [Conformance]",
    "[sig-network] Services should serve a basic endpoint from pods [Conformance]",
    "[sig-network] Networking Granular Checks: Pods should function for intra-pod communication: http [Conformance] [NodeConformance]",
    "[sig-network] Proxy version v1 should proxy through a service and a pod [Conformance]",
    "[sig-network] API Server should have Endpoints and EndpointSlices pointing to API Server [Conformance]",
    # API machinery
    "[sig-api-machinery] CustomResourceDefinition resources [Privileged:ClusterAdmin] Simple CustomResourceDefinition creating/deleting custom resource definition objects works [Conformance]",
    "[sig-api-machinery] Watchers should be able to start watching from a specific resource version [Conformance]",
    "[sig-api-machinery] Discovery should validate PreferredVersion for each APIGroup [Conformance]",
    "[sig-api-machinery] ResourceQuota should create a ResourceQuota and capture the life of a pod. [Conformance]",
    "[sig-api-machinery] Garbage collector should delete pods created by rc when not orphaning [Conformance]",
    "[sig-api-machinery] AggregatedDiscovery should support aggregated discovery interface [Conformance]",
    "[sig-api-machinery] API priority and fairness should support FlowSchema API operations [Conformance]",
    # auth
    "[sig-auth] ServiceAccounts should mount an API token into pods [Conformance]",
    "[sig-auth] Certificates API [Privileged:ClusterAdmin] should support CSR API operations [Conformance]",
    # architecture: a conformant cluster has more than one schedulable node
    "[sig-architecture] Conformance Tests should have at least two untainted nodes [Conformance]",
)
"""Curated for v1.37 from the conformance list: cheap, not ``[Serial]``/``[Slow]``, and none
needing ``kubectl`` on the host (the test package does not ship it)."""


@dataclass(frozen=True)
class Mode:
    name: str
    procs: int
    curated: tuple[str, ...] = ()
    label_filter: str | None = None
    focus: str | None = None
    accepts_filters: bool = True
    timeout: str = "1h"
    """ginkgo's suite timeout; its own default of 1h would kill a full conformance run."""


MODES = (
    Mode("quick", procs=1, curated=QUICK, timeout="30m"),
    Mode("standard-base", procs=4, curated=STANDARD_BASE),
    Mode("conformance", procs=4, label_filter="Conformance", timeout="24h"),
    Mode("certified", procs=1, focus=CONFORMANCE_FOCUS, accepts_filters=False, timeout="24h"),
)


def mode_named(name: str) -> Mode:
    for mode in MODES:
        if mode.name == name:
            return mode
    raise UsageError(f"--mode {name!r}: expected one of {', '.join(m.name for m in MODES)}")


@dataclass(frozen=True)
class Selection:
    """What ginkgo is told: its ``--focus``, ``--skip`` and ``--label-filter`` flags."""

    focus: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    label_filter: str | None = None


@dataclass(frozen=True)
class Plan:
    """A mode applied to one release: ginkgo's flags, the specs expected, curated ones missing."""

    selection: Selection
    expected: tuple[str, ...] | None
    missing: tuple[str, ...] = ()


def matches(pattern: str | None, spec: str) -> bool:
    """Whether a focus/skip regex selects ``spec``, matched against what ginkgo matches."""
    return pattern is not None and re.search(pattern, f"{SUITE} {spec}") is not None


def untagged(spec: str) -> str:
    """The spec text without its ``[...]`` tags after the SIG: the key that survives releases
    reordering or adding tags (``[NodeConformance] [Conformance]`` became the other way round)."""
    sig, _, rest = spec.partition("] ")
    return f"{sig}] " + " ".join(re.sub(r"\[[^\]]*\]", " ", rest).split())


def resolve(curated: str, listing: Sequence[str]) -> str | None:
    """The listed spec a curated name stands for: itself, or the one conformance spec with the
    same untagged text. Tags alone can tell specs apart (``DNS should provide DNS for the cluster
    [Conformance]`` and ``... [Provider:gce]``), so anything ambiguous counts as missing."""
    if curated in listing:
        return curated
    key = untagged(curated)
    same = [s for s in listing if "[Conformance]" in s and untagged(s) == key]
    return same[0] if len(same) == 1 else None


def quote_meta(text: str) -> str:
    """Go's ``regexp.QuoteMeta``: escape exactly RE2's metacharacters."""
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", text)


def exact_focus(names: Sequence[str]) -> str:
    """One regex that selects exactly ``names``, whether or not ginkgo prefixes the suite."""
    alternatives = "|".join(quote_meta(name) for name in names)
    return rf"^(?:{quote_meta(SUITE)} )?(?:{alternatives})$"


def check_filters(mode: Mode, focus: str | None, skip: str | None) -> None:
    if not mode.accepts_filters and (focus or skip):
        raise UsageError(f"--mode {mode.name} runs every conformance spec; drop --focus/--skip")


def plan(mode: Mode, listing: Sequence[str] | None, focus: str | None, skip: str | None) -> Plan:
    """Apply ``mode`` and the user's filters to the specs of one ``e2e.test``."""
    check_filters(mode, focus, skip)
    if mode.curated:
        return _plan_curated(mode, listing, focus, skip)
    selection = Selection(
        focus=(focus,) if focus else ((mode.focus,) if mode.focus else ()),
        skip=(skip,) if skip else (),
        label_filter=mode.label_filter,
    )
    expected = None
    if listing is not None:
        tagged = [s for s in listing if "[Conformance]" in s]
        expected = _filtered(tagged, focus, skip)
    return Plan(selection, expected)


def _plan_curated(
    mode: Mode, listing: Sequence[str] | None, focus: str | None, skip: str | None
) -> Plan:
    if listing is None:
        raise ValueError(f"the {mode.name} mode needs the e2e.test spec list")
    resolved = {c: resolve(c, listing) for c in mode.curated}
    found = [spec for spec in resolved.values() if spec is not None]
    missing = tuple(c for c, spec in resolved.items() if spec is None)
    if not found:
        raise UsageError(f"none of the {mode.name} specs exist in this e2e.test")
    chosen = _filtered(found, focus, skip)
    if not chosen:
        raise UsageError(f"--focus/--skip leave none of the {len(found)} {mode.name} specs")
    return Plan(Selection(focus=(exact_focus(chosen),)), chosen, missing)


def _filtered(specs: Sequence[str], focus: str | None, skip: str | None) -> tuple[str, ...]:
    return tuple(s for s in specs if (not focus or matches(focus, s)) and not matches(skip, s))
