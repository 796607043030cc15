"""The e2e options: every command-line mistake is one clear usage error, before any work."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from conformance.e2e.settings import check_mirror, duration_seconds
from kubeadm_verify.cli import build_parser
from kubeadm_verify.cli.e2e import settings_from_args
from kubeadm_verify.errors import UsageError


class E2ESettings:
    """The CLI builds the settings now; the tests keep their shape."""

    from_args = staticmethod(settings_from_args)


@pytest.fixture(autouse=True)
def a_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kubeconfig to resolve (nothing here contacts it)."""
    config = tmp_path / "kubeconfig"
    config.write_text("apiVersion: v1\nkind: Config\n")
    monkeypatch.setenv("KUBECONFIG", str(config))


def args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["e2e", *argv])


def test_defaults() -> None:
    settings = E2ESettings.from_args(args())
    assert settings.mode == "quick"
    assert settings.version is None
    assert settings.mirror == "https://dl.k8s.io"
    assert settings.timeout_s == 1800
    assert settings.output_dir == Path("reports")


def test_each_mode_has_its_own_suite_timeout_and_the_flag_wins() -> None:
    assert E2ESettings.from_args(args("--mode", "standard-base")).timeout == "1h"
    assert E2ESettings.from_args(args("--mode", "conformance")).timeout == "24h"
    assert E2ESettings.from_args(args("--mode", "certified")).timeout_s == 24 * 3600
    assert E2ESettings.from_args(args("--mode", "certified", "--timeout", "3h")).timeout == "3h"


def test_parallel_none_takes_the_mode_default_and_a_number_overrides() -> None:
    assert E2ESettings.from_args(args("--mode", "standard-base")).procs == 4
    assert E2ESettings.from_args(args("--mode", "standard-base", "--parallel", "2")).procs == 2
    with pytest.raises(UsageError, match="at least one"):
        E2ESettings.from_args(args("--parallel", "0"))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90m", 5400), ("1h30m", 5400), ("24h", 86400), ("45s", 45), ("1.5h", 5400), ("500ms", 0.5)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "1 h", "10", "1d", "-5m", "0s", "h1"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError, match="--timeout"):
        duration_seconds(text)


def test_bad_regex_version_and_checksum_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="--focus"):
        E2ESettings.from_args(args("--focus", "[unclosed"))
    with pytest.raises(UsageError, match="--kubernetes-version"):
        E2ESettings.from_args(args("--kubernetes-version", "latest"))
    with pytest.raises(UsageError, match="needs --test-package"):
        E2ESettings.from_args(args("--test-package-sha256", "a" * 64))
    with pytest.raises(UsageError, match="64 hex"):
        E2ESettings.from_args(args("--test-package", "p.tgz", "--test-package-sha256", "abc"))
    upper = E2ESettings.from_args(
        args("--test-package", "p.tgz", "--test-package-sha256", "AB" * 32)
    )
    assert upper.test_package_sha256 == "ab" * 32


def test_mirror_must_be_http_and_plain_http_elsewhere_is_warned(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check_mirror("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert capsys.readouterr().err == ""
    assert check_mirror("http://mirror.example") == "http://mirror.example"
    assert "plain http" in capsys.readouterr().err
    for bad in ("ftp://x", "file:///srv", "dl.k8s.io"):
        with pytest.raises(UsageError, match="--mirror"):
            check_mirror(bad)
