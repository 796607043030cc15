"""The ginkgo argv: every parameter explicit, paths absolute, a list never a shell string."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.e2e.cache import Binaries
from conformance.e2e.command import Invocation, ginkgo_argv
from conformance.e2e.modes import Selection

BINARIES = Binaries(Path("/cache/v1.37.2/e2e.test"), Path("/cache/v1.37.2/ginkgo"))


def test_full_argv_in_order() -> None:
    argv = ginkgo_argv(
        BINARIES,
        Selection(focus=(r"\[Conformance\]",), skip=("Slow",), label_filter="Conformance"),
        Invocation(
            procs=8,
            timeout="24h",
            kubeconfig=Path("/home/me/.kube/config"),
            report_dir=Path("/out/e2e/artifacts"),
            context="admin@k",
            kubectl=Path("/usr/bin/kubectl"),
            progress_url="http://127.0.0.1:4242/progress",
        ),
    )
    assert argv == [
        "/cache/v1.37.2/ginkgo",
        "--procs=8",
        "--timeout=24h",
        "--no-color",
        r"--focus=\[Conformance\]",
        "--skip=Slow",
        "--label-filter=Conformance",
        "/cache/v1.37.2/e2e.test",
        "--",
        "--provider=skeleton",
        "--kubeconfig=/home/me/.kube/config",
        "--report-dir=/out/e2e/artifacts",
        "--disable-log-dump=true",
        "--context=admin@k",
        "--kubectl-path=/usr/bin/kubectl",
        "--progress-report-url=http://127.0.0.1:4242/progress",
    ]


def test_minimal_argv_makes_relative_paths_absolute_and_omits_unset_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ginkgo_argv(
        Binaries(Path("bin/e2e.test"), Path("bin/ginkgo")),
        Selection(focus=("Pods",)),
        Invocation(procs=1, timeout="1h", kubeconfig=Path("kc"), report_dir=Path("out")),
    )
    assert argv[0] == str(tmp_path / "bin/ginkgo")
    assert f"--kubeconfig={tmp_path / 'kc'}" in argv
    assert f"--report-dir={tmp_path / 'out'}" in argv
    assert not any(
        a.startswith(
            ("--skip", "--label-filter", "--context", "--kubectl-path", "--progress-report-url")
        )
        for a in argv
    )
    assert "--clean-start" not in " ".join(argv)
    assert argv.index("--") == argv.index(str(tmp_path / "bin/e2e.test")) + 1


def test_a_regex_with_spaces_and_quotes_stays_one_argument() -> None:
    focus = 'it\'s a "spec" ; rm -rf /'
    argv = ginkgo_argv(
        BINARIES,
        Selection(focus=(focus,)),
        Invocation(procs=1, timeout="1h", kubeconfig=Path("/k"), report_dir=Path("/r")),
    )
    assert f"--focus={focus}" in argv
