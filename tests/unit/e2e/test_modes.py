"""Mode definitions, the curated list, exact focus regexes and how user filters narrow."""

from __future__ import annotations

import re

import pytest

from conformance.e2e import codenames
from conformance.e2e.modes import (
    CONFORMANCE_FOCUS,
    MODES,
    QUICK,
    STANDARD_BASE,
    SUITE,
    exact_focus,
    matches,
    mode_named,
    plan,
    quote_meta,
    resolve,
    untagged,
)
from kubeadm_verify.errors import UsageError

POD = QUICK[0]
OLD_ORDER_POD = "[sig-node] Pods should be submitted and removed [NodeConformance] [Conformance]"
LISTING = (
    "[sig-api-machinery] Namespaces [Serial] should delete fast [Conformance] [Serial]",
    "[sig-network] DNS should provide DNS for the cluster [Conformance]",
    "[sig-network] DNS should provide DNS for the cluster subdomains",
    OLD_ORDER_POD,
    "[sig-network] DNS should provide DNS for the cluster [Provider:gce]",
    "[sig-storage] CSI mock volume works",
)


def test_mode_table() -> None:
    table = {
        m.name: (m.procs, bool(m.curated), m.label_filter, m.focus, m.accepts_filters)
        for m in MODES
    }
    assert table == {
        "quick": (1, True, None, None, True),
        "standard-base": (4, True, None, None, True),
        "conformance": (4, False, "Conformance", None, True),
        "certified": (1, False, None, CONFORMANCE_FOCUS, False),
    }
    with pytest.raises(UsageError, match="expected one of"):
        mode_named("fast")


def test_curated_specs_are_cheap_v137_conformance_specs() -> None:
    known = codenames.load("v1.37.2")
    for spec in (*QUICK, *STANDARD_BASE):
        assert known.codenames_for(spec) == (spec,), spec
        assert not re.search(r"\[(Serial|Slow|Disruptive)\]", spec), spec
        assert "[sig-cli]" not in spec, "kubectl is not in the test package"
    assert len(set(STANDARD_BASE)) == len(STANDARD_BASE) >= 20


def test_untagged_survives_tag_reordering() -> None:
    assert (
        untagged(POD)
        == untagged(OLD_ORDER_POD)
        == ("[sig-node] Pods should be submitted and removed")
    )


def test_quote_meta_escapes_exactly_re2_metacharacters() -> None:
    assert quote_meta(r"a.b(c)[d]{e}|f^g$h*i+j?k\l m-n/o:p") == (
        r"a\.b\(c\)\[d\]\{e\}\|f\^g\$h\*i\+j\?k\\l m-n/o:p"
    )


def test_exact_focus_selects_exactly_its_names_as_ginkgo_matches_them() -> None:
    pattern = exact_focus([LISTING[1], POD])
    assert matches(pattern, LISTING[1]) and matches(pattern, POD)
    assert not matches(pattern, LISTING[2])  # same prefix, longer name
    assert not matches(pattern, "[sig-x] " + POD)
    assert re.search(pattern, LISTING[1])  # also without the suite prefix


def test_resolve_prefers_the_exact_name_and_refuses_ambiguity() -> None:
    dns = "[sig-network] DNS should provide DNS for the cluster [Conformance]"
    assert resolve(dns, LISTING) == dns  # not its [Provider:gce] twin, listed after it
    assert resolve(dns.replace("[Conformance]", "[Conformance] [Slow]"), LISTING) == dns
    twins = [dns.replace("cluster", "cluster [Feature:A]"), dns.replace("cluster", "cluster [B]")]
    assert resolve(dns, twins) is None
    assert resolve(dns, [LISTING[4]]) is None  # only the non-conformance twin


def test_curated_plan_resolves_names_against_the_listing() -> None:
    chosen = plan(mode_named("quick"), LISTING, None, None)
    assert chosen.expected == (OLD_ORDER_POD,)
    assert chosen.selection.focus == (exact_focus([OLD_ORDER_POD]),)
    assert chosen.missing == ()


def test_standard_base_reports_what_this_release_lacks() -> None:
    chosen = plan(mode_named("standard-base"), LISTING, None, None)
    assert set(chosen.expected or ()) == {OLD_ORDER_POD, LISTING[1]}
    assert len(chosen.missing) == len(STANDARD_BASE) - 2
    assert POD not in chosen.missing


def test_user_filters_narrow_a_curated_mode() -> None:
    chosen = plan(mode_named("standard-base"), LISTING, "sig-network", None)
    assert chosen.expected == (LISTING[1],)
    skipped = plan(mode_named("standard-base"), LISTING, None, "DNS")
    assert skipped.expected == (OLD_ORDER_POD,)
    with pytest.raises(UsageError, match="leave none"):
        plan(mode_named("quick"), LISTING, "sig-storage", None)


def test_curated_mode_with_no_known_spec_cannot_start() -> None:
    with pytest.raises(UsageError, match="none of the quick specs"):
        plan(mode_named("quick"), ["[sig-x] something else"], None, None)


def test_conformance_mode_selects_by_label_and_passes_filters_through() -> None:
    plain = plan(mode_named("conformance"), LISTING, None, None)
    assert plain.selection.label_filter == "Conformance"
    assert plain.selection.focus == ()
    assert plain.expected == (LISTING[0], LISTING[1], OLD_ORDER_POD)
    narrowed = plan(mode_named("conformance"), LISTING, "DNS", "Serial")
    assert narrowed.selection.focus == ("DNS",)
    assert narrowed.selection.skip == ("Serial",)
    assert narrowed.expected == (LISTING[1],)
    assert plan(mode_named("conformance"), None, None, None).expected is None


def test_certified_mode_is_exact_and_refuses_filters() -> None:
    chosen = plan(mode_named("certified"), LISTING, None, None)
    assert chosen.selection.focus == (CONFORMANCE_FOCUS,)
    assert chosen.selection.skip == ()
    assert chosen.expected == (LISTING[0], LISTING[1], OLD_ORDER_POD)
    for focus, skip in (("DNS", None), (None, "Serial")):
        with pytest.raises(UsageError, match="certified"):
            plan(mode_named("certified"), LISTING, focus, skip)


def test_regexes_see_the_suite_description_first() -> None:
    assert matches("^" + re.escape(SUITE), POD)
    assert not matches(r"^\[sig-node\]", POD)
    assert not matches(None, POD)
