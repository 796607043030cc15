"""The ``standard_base`` marker, and what the tier's conftest makes of it in a real pytest run.

The second half runs a small suite through the same in-process runner as the CLI, with the
tier's hooks and fixtures imported into its conftest and the needs detection replaced by fixed
answers: properties, timeouts, skips and selection are then what a real run would produce.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.standard_base.marker import Need, SpecError, make_spec, standard_base
from conformance.standard_base.needs import Needs, Unmet, broken, other_kind
from conformance.standard_base.release import ServerRelease, older_than, server_release
from kubeadm_verify.errors import VerifyError
from kubeadm_verify.results import Status
from kubeadm_verify.runner import run_tier

CODENAME = "[sig-x] does a thing [Conformance]"


def test_a_valid_spec() -> None:
    spec = make_spec("apps/job-completion", [CODENAME], ["nodes", Need.DNS], 30)
    assert spec.area == "apps"
    assert spec.needs == frozenset({Need.NODES, Need.DNS})
    assert spec.conformance == (CODENAME,) and spec.timeout == 30.0


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"id": "jobs"}, "not 'area/name'"),
        ({"id": "Apps/Job"}, "not 'area/name'"),
        ({"id": "cooking/pasta"}, "unknown area"),
        ({"needs": ["gpu"]}, "known needs"),
        ({"timeout": None}, "bounded timeout"),
        ({"timeout": 0}, "bounded timeout"),
        ({"timeout": 3600}, "bounded timeout"),
        ({"conformance": CODENAME}, "not one string"),
        ({"conformance": ["[sig-x] not tagged"]}, "[Conformance] tag"),
        ({"since": "v1.37"}, "not a release"),
        ({"since": "1.37.2"}, "not a release"),
    ],
)
def test_invalid_specs_are_refused(kwargs: dict[str, object], problem: str) -> None:
    arguments: dict[str, object] = {"id": "apps/job", "timeout": 10, **kwargs}
    with pytest.raises(SpecError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        make_spec(**arguments)  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # the tier registers it
def test_the_decorator_checks_at_import_time() -> None:
    mark = standard_base(id="auth/x", conformance=[CODENAME], needs=["cluster-admin"], timeout=5)
    assert mark.mark.name == "standard_base"
    assert mark.mark.kwargs["needs"] == ["cluster-admin"]
    with pytest.raises(SpecError):
        standard_base(id="auth/x", timeout=-1)


def test_needs_report_a_broken_need_first_then_the_first_skip() -> None:
    needs = Needs(
        {
            Need.NODES: None,
            Need.REAL_KUBELET: other_kind("all simulated"),
            Need.DNS: other_kind("no dns"),
            Need.CLUSTER_ADMIN: None,
        }
    )
    assert needs.unmet({Need.NODES, Need.CLUSTER_ADMIN}) is None
    assert needs.unmet({Need.REAL_KUBELET, Need.DNS}) == Unmet("needs dns: no dns", False)
    assert needs.unmet({Need.REAL_KUBELET}) == Unmet("needs real-kubelet: all simulated", False)
    sick = Needs({Need.NODES: broken("a NotReady"), Need.CLUSTER_ADMIN: other_kind("not admin")})
    assert sick.unmet({Need.CLUSTER_ADMIN, Need.NODES}) == Unmet("needs nodes: a NotReady", True)
    unchecked = Needs({}).unmet({Need.DNS})
    assert unchecked is not None and unchecked.broken


CONFTEST = """
import pytest

from conformance.standard_base.conftest import (  # noqa: F401 - the tier's hooks and fixtures
    _standard_base_needs, pytest_collection_modifyitems, pytest_configure, pytest_runtest_call,
)
from conformance.standard_base.marker import Need
from conformance.standard_base.needs import Needs, broken, other_kind
from conformance.standard_base.release import server_release


@pytest.fixture(scope="session")
def kv_server_release():
    return server_release("1", "36", "v1.36.3")


@pytest.fixture(scope="session")
def kv_needs():
    return Needs({Need.NODES: None, Need.CLUSTER_ADMIN: None,
                  Need.REAL_KUBELET: other_kind("every node is simulated"),
                  Need.DNS: broken("kube-dns has no ready endpoint")})
"""

SUITE = """
import time

from conformance.standard_base.marker import standard_base


@standard_base(id="apps/passes", conformance=["[sig-apps] a codename [Conformance]"],
               needs=["nodes"], timeout=10)
def test_passes():
    pass


@standard_base(id="node/needs-kubelet", needs=["real-kubelet", "nodes"], timeout=10)
def test_needs_kubelet():
    raise AssertionError("must not run")


@standard_base(id="network/needs-dns", needs=["dns"], timeout=10)
def test_needs_dns():
    raise AssertionError("must not run")


@standard_base(id="network/slow", timeout=0.5)
def test_slow():
    time.sleep(5)


@standard_base(id="network/fails", timeout=10)
def test_fails():
    assert 1 == 2, "one is not two"


@standard_base(id="apps/later-release", since="1.37", timeout=10)
def test_later_release():
    raise AssertionError("must not run")


@standard_base(id="apps/this-release", since="1.36", timeout=10)
def test_this_release():
    pass
"""


@pytest.fixture
def sample_tier(tmp_path: Path) -> Iterator[str]:
    package = tmp_path / "kv_sample_base"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (package / "test_sample.py").write_text(textwrap.dedent(SUITE))
    sys.path.insert(0, str(tmp_path))
    try:
        yield "kv_sample_base"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("kv_sample_base")]:
            del sys.modules[name]


PLUGINS = ("conformance.standard_base.plugin", "pytest_timeout")


def test_properties_skips_and_timeouts_in_a_real_run(sample_tier: str) -> None:
    report = run_tier("cluster", sample_tier, args=["-q"], plugins=PLUGINS)
    by_id = {r.id: r for r in report.results}
    assert set(by_id) == {
        "apps/passes",
        "node/needs-kubelet",
        "network/needs-dns",
        "network/slow",
        "network/fails",
        "apps/later-release",
        "apps/this-release",
    }
    assert by_id["apps/passes"].status is Status.PASS
    later = by_id["apps/later-release"]
    assert later.status is Status.SKIP
    assert later.message == (
        "the API server runs v1.36.3: this behaviour is served from v1.37 on, "
        "and the v1.36 conformance set has no such test"
    )
    assert by_id["apps/this-release"].status is Status.PASS
    assert by_id["apps/passes"].conformance == ("[sig-apps] a codename [Conformance]",)
    skipped = by_id["node/needs-kubelet"]
    assert skipped.status is Status.SKIP
    assert skipped.message == "needs real-kubelet: every node is simulated"
    dns = by_id["network/needs-dns"]
    assert dns.status is Status.FAIL, "a broken need fails the test, it does not skip it"
    assert dns.message.endswith(": needs dns: kube-dns has no ready endpoint"), dns.message
    assert by_id["network/slow"].status is Status.FAIL
    assert "Timeout" in by_id["network/slow"].message
    assert by_id["network/slow"].duration_s < 4
    assert by_id["network/fails"].status is Status.FAIL
    assert by_id["network/fails"].conformance == ()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--kv-focus", "^network/"], {"network/slow", "network/fails", "network/needs-dns"}),
        (["--kv-skip", "slow|fails|dns|release"], {"apps/passes", "node/needs-kubelet"}),
        (["--kv-focus", "network", "--kv-skip", "slow|dns"], {"network/fails"}),
        (["--kv-focus", "nothing-matches"], set()),
    ],
)
def test_focus_and_skip_select_at_collection(
    sample_tier: str, args: list[str], expected: set[str]
) -> None:
    report = run_tier("cluster", sample_tier, args=["-q", *args], plugins=PLUGINS)
    assert {r.id for r in report.results} == expected


def test_a_bad_regex_stops_the_run(sample_tier: str) -> None:
    with pytest.raises(VerifyError, match="could not start"):
        run_tier("cluster", sample_tier, args=["--kv-focus", "(unclosed"], plugins=PLUGINS)


def test_a_test_without_the_marker_is_a_usage_error(sample_tier: str, tmp_path: Path) -> None:
    (tmp_path / sample_tier / "test_unmarked.py").write_text("def test_bare():\n    pass\n")
    with pytest.raises(VerifyError, match="needs @standard_base"):
        run_tier("cluster", sample_tier, args=["-q"], plugins=PLUGINS)


def test_a_release_is_read_from_version_and_an_older_one_says_both() -> None:
    assert make_spec("apps/x", timeout=5, since="1.37").since == (1, 37)
    assert server_release("1", "37+", "v1.37.2-gke.1") == ServerRelease(1, 37, "v1.37.2-gke.1")
    assert older_than(ServerRelease(1, 37, "v1.37.2"), (1, 37)) is None
    assert older_than(ServerRelease(2, 0, "v2.0.0"), (1, 37)) is None
    said = older_than(ServerRelease(1, 36, "v1.36.3"), (1, 37))
    assert said is not None and "v1.36.3" in said and "v1.37" in said
    with pytest.raises(ValueError, match="names no release"):
        server_release("", "", "v0.0.0-master+$Format:%H$")
