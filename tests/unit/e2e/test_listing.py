"""``e2e.test --list-tests``: parsed from its real output shape, run as a real process."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.e2e.listing import HEADER, list_tests, parse_list_tests
from kubeadm_verify.errors import FetchError

OUTPUT = f"""I1124 10:00:00.000000   42 test_context.go:567] Tolerating taints
{HEADER}
    test/e2e/apimachinery/flowcontrol.go:123: [sig-api-machinery] API priority and fairness should support FlowSchema API operations [Conformance]
    test/e2e/common/node/pods.go:45: [sig-node] Pods should be submitted and removed [Conformance] [NodeConformance]
    test/e2e/network/dns.go:7: [sig-network] DNS: a name: with colons [Feature:X]

"""  # noqa: E501


def test_parses_names_after_the_location() -> None:
    assert parse_list_tests(OUTPUT) == (
        "[sig-api-machinery] API priority and fairness should support FlowSchema API operations "
        "[Conformance]",
        "[sig-node] Pods should be submitted and removed [Conformance] [NodeConformance]",
        "[sig-network] DNS: a name: with colons [Feature:X]",
    )


def test_output_without_the_header_is_not_a_listing() -> None:
    with pytest.raises(ValueError, match="no spec list"):
        parse_list_tests("flag provided but not defined: -list-tests\n")


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "e2e.test"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_list_tests_runs_the_binary(tmp_path: Path) -> None:
    binary = script(tmp_path, f"cat <<'EOF'\n{OUTPUT}EOF\n")
    assert len(list_tests(binary)) == 3


def test_a_binary_that_fails_to_list_is_a_broken_package(tmp_path: Path) -> None:
    failing = script(tmp_path, "echo 'exec format error' >&2\nexit 3\n")
    with pytest.raises(FetchError, match="exited 3: exec format error"):
        list_tests(failing)
    silent = script(tmp_path, "echo hello\n")
    with pytest.raises(FetchError, match="no spec list"):
        list_tests(silent)
    with pytest.raises(FetchError, match="could not run"):
        list_tests(tmp_path / "absent")
