"""The Standard Base as collected: every area covered, every claimed codename real.

Collection is what ``--list`` and a run do (no cluster is needed to collect). Claimed codenames
are held against ``test/conformance/testdata/conformance.yaml`` of the pinned k8s.io/kubernetes
v1.37.2: the repository's extract of it always, and the file itself when the Go module cache
holds it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conformance.e2e.codenames import load, normalise
from conformance.standard_base.listing import collect
from conformance.standard_base.marker import AREAS, Need, Spec
from kubeadm_verify.settings import ClusterSettings

PINNED = "v1.37.2"


@pytest.fixture(scope="module")
def specs() -> list[Spec]:
    return collect()


def _upstream_yaml() -> Path | None:
    roots = [os.environ.get("GOMODCACHE", ""), str(Path.home() / "go" / "pkg" / "mod")]
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        roots.insert(
            0,
            subprocess.run(
                ["go", "env", "GOMODCACHE"], capture_output=True, text=True, timeout=10, check=False
            ).stdout.strip(),
        )
    for root in filter(None, roots):
        path = Path(root) / f"k8s.io/kubernetes@{PINNED}/test/conformance/testdata/conformance.yaml"
        if path.is_file():
            return path
    return None


def test_at_least_forty_tests_with_unique_ids(specs: list[Spec]) -> None:
    ids = [s.id for s in specs]
    assert len(ids) >= 40, f"only {len(ids)} tests"
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]


def test_every_area_has_at_least_three_tests(specs: list[Spec]) -> None:
    counts = Counter(s.area for s in specs)
    assert set(counts) == set(AREAS), f"areas without tests: {set(AREAS) - set(counts)}"
    thin = {area: n for area, n in counts.items() if n < 3}
    assert not thin, f"areas with fewer than 3 tests: {thin}"


def test_every_claimed_codename_is_in_the_pinned_conformance_list(specs: list[Spec]) -> None:
    known = load(PINNED).codenames
    assert known, "the v1.37 conformance extract is missing"
    claimed = {c for s in specs for c in s.conformance}
    unknown = sorted(c for c in claimed if normalise(c) not in known)
    assert not unknown, f"codenames not in conformance.yaml {PINNED}: {unknown}"
    assert len(claimed) >= 30, f"only {len(claimed)} codenames claimed"


def test_claimed_codenames_against_upstream_file_itself(specs: list[Spec]) -> None:
    path = _upstream_yaml()
    if path is None:
        pytest.skip(f"k8s.io/kubernetes@{PINNED} is not in the Go module cache")
    upstream = {normalise(e["codename"]) for e in yaml.safe_load(path.read_text())}
    claimed = {normalise(c) for s in specs for c in s.conformance}
    assert claimed <= upstream, sorted(claimed - upstream)


def test_a_codename_is_claimed_by_one_test_only(specs: list[Spec]) -> None:
    owners = Counter(c for s in specs for c in s.conformance)
    assert not [c for c, n in owners.items() if n > 1]


SERVED_FROM_A_POD = frozenset(
    {
        "api-machinery/admission-webhooks",
        "api-machinery/aggregator",
        "api-machinery/crd-conversion-webhook",
        "api-machinery/crd-selectable-fields-conversion",
    }
)
"""API machinery the API server calls out to (webhooks, an aggregated API server): its server
runs in a pod, on a real kubelet, though what is judged is the API server's own behaviour."""


def test_what_needs_a_real_kubelet(specs: list[Spec]) -> None:
    """Simulated nodes carry everything but node and storage (and pod traffic, DNS): a storage
    test that runs pods needs a real kubelet; the storage APIs need no node at all."""
    by_area: dict[str, set[Need]] = {}
    for spec in specs:
        if spec.id in SERVED_FROM_A_POD:
            continue
        by_area.setdefault(spec.area, set()).update(spec.needs)
    for area in ("api-machinery", "auth", "kubeadm", "apps", "scheduling"):
        assert Need.REAL_KUBELET not in by_area[area], area
    storage = [s for s in specs if s.area == "storage"]
    assert any(Need.REAL_KUBELET in s.needs for s in storage)
    assert all(Need.REAL_KUBELET in s.needs for s in storage if Need.NODES in s.needs)


def test_every_test_has_a_bounded_timeout(specs: list[Spec]) -> None:
    """The tier's worst case, every test run serially to its timeout, stays known: a timeout
    cannot grow, nor a test join, without this budget being raised on purpose (to 105 minutes
    when the last five behaviour classes of v1.37 got their native tests; to 106 when
    ``node/command-and-args`` took 50 s to read three ended containers' late logs; to 107 when
    three tests whose own waits filled their whole timeout got room to fail with their own
    message at a load of 30: ``storage/atomic-writer-volumes``, ``api-machinery/kubectl-label``
    and ``kubeadm/bootstrap-token-auth``)."""
    assert all(0 < s.timeout <= 300 for s in specs)
    assert sum(s.timeout for s in specs) < 107 * 60


def test_selection_applies_at_collection() -> None:
    kubeadm_only = collect(ClusterSettings(focus="^kubeadm/"))
    assert kubeadm_only and all(s.area == "kubeadm" for s in kubeadm_only)
    without = collect(ClusterSettings(skip="^(kubeadm|auth)/"))
    assert without and not any(s.area in ("kubeadm", "auth") for s in without)
