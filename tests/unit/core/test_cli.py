"""The CLI contract: exit codes, one line on stderr, reports written even when runs cannot start."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kubeadm_verify.cli import build_parser, main


def read_results(folder: Path, tier: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((folder / tier / "results.json").read_text())
    return data


def test_usage_error_exits_2_with_one_line_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["node", "--output-dir", str(tmp_path), "--role", "king"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "invalid choice" in err[0]
    data = read_results(tmp_path, "node")
    assert data["summary"] == {"pass": 0, "warn": 0, "fail": 0, "skip": 0, "error": 1}
    assert (tmp_path / "node" / "junit.xml").is_file()


def test_missing_root_exits_2_and_writes_a_single_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["node", "--root", str(tmp_path / "nope"), "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [
        f"kubeadm-verify: the host root {tmp_path / 'nope'} does not exist or is not a directory"
    ]
    checks = read_results(tmp_path / "out", "node")["checks"]
    assert isinstance(checks, list) and len(checks) == 1 and checks[0]["status"] == "error"


def test_all_with_other_names_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["node", "--ignore-preflight-errors", "all,Swap", "--output-dir", str(tmp_path)])
    assert code == 2
    assert "'all' is used" in capsys.readouterr().err
    assert read_results(tmp_path, "node")["summary"] == {
        "pass": 0,
        "warn": 0,
        "fail": 0,
        "skip": 0,
        "error": 1,
    }


def test_environment_sets_long_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUBEADM_VERIFY_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("KUBEADM_VERIFY_FORMAT", "json")
    monkeypatch.setenv("KUBEADM_VERIFY_PULL_IMAGES", "true")
    from kubeadm_verify.cli import apply_environment

    parser = build_parser()
    apply_environment(parser, ["node"])
    args = parser.parse_args(["node"])
    assert (args.output_dir, args.format, args.pull_images) == (str(tmp_path), "json", True)
    args = parser.parse_args(["node", "--format", "text"])
    assert args.format == "text"


def test_bad_environment_value_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBEADM_VERIFY_PARALLEL", "many")
    assert main(["cluster", "--list"]) == 2
    assert "KUBEADM_VERIFY_PARALLEL='many': invalid int value" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KUBEADM_VERIFY_FORMAT", "xml"),
        ("KUBEADM_VERIFY_ROLE", "king"),
        ("KUBEADM_VERIFY_PULL_IMAGES", "perhaps"),
    ],
)
def test_environment_values_meet_the_flags_rules(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    variable: str,
    value: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["node", "--output-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"kubeadm-verify: {variable}={value!r}")
    assert read_results(tmp_path, "node")["summary"]["error"] == 1  # type: ignore[index]


def test_an_output_dir_under_a_file_stops_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["node", "--output-dir", str(blocker / "deeper")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"kubeadm-verify: --output-dir {blocker / 'deeper'}: {blocker} is a file, not a directory"
    ]


def test_an_unexpected_exception_is_an_error_entry_and_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubeadm_verify.cli import node

    def broken(args: object) -> int:
        raise RuntimeError("token-secret: abcdef0123456789 went missing")

    monkeypatch.setattr(node, "run", broken)
    assert main(["node", "--output-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "RuntimeError" in err[0] and "abcdef0123456789" not in err[0]
    checks = read_results(tmp_path, "node")["checks"]
    assert isinstance(checks, list) and checks[0]["status"] == "error"


def test_library_logging_does_not_reach_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from kubeadm_verify.cli import quiet_library_logging

    quiet_library_logging()
    logging.error("exec: missing token")  # what the kubernetes client does on its own
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("verb", "collecting"), [("node", False), ("cluster", True)])
def test_only_the_node_verb_runs_without_the_cycle_collector(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, verb: str, collecting: bool
) -> None:
    """The console entry starts with the collector off; a verb that runs for long (a cluster, a
    suite) turns it back on before it starts, the node tier's blink of a run leaves it off."""
    import gc
    import importlib

    module = importlib.import_module(f"kubeadm_verify.cli.{verb}")
    seen: list[bool] = []

    def run(args: object) -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(module, "run", run)
    gc.disable()
    try:
        assert main([verb, "--list", "--output-dir", str(tmp_path)]) == 0
    finally:
        gc.enable()
    assert seen == [collecting]


def _verb_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(verbs.choices)


def test_every_option_of_every_verb_says_what_it_does() -> None:
    undescribed = [
        f"{verb} {action.option_strings or action.dest}"
        for verb, sub in _verb_parsers().items()
        for action in sub._actions
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert not undescribed


@pytest.mark.parametrize("verb", sorted(_verb_parsers()))
def test_every_verb_help_ends_with_examples_of_itself(
    verb: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([verb, "--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    examples = shown.split("Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and all(
        f"kubeadm-verify {verb}" in line or line.startswith("      ") for line in examples
    ), examples
    assert "KUBEADM_VERIFY_" in shown


NODES_MESSAGE = "expected a whole number of real nodes"


@pytest.mark.parametrize(
    ("argv", "least"),
    [(["up", "--nodes", "-1"], 0), (["join", "--nodes", "0"], 1), (["join", "--nodes", "-3"], 1)],
)
def test_a_bad_nodes_count_is_one_message_from_every_verb(
    argv: list[str], least: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``up`` and ``join`` refuse it before anything is brought up or looked up, in one line."""
    code = main([*argv, "--state-dir", str(tmp_path / "state")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [f"kubeadm-verify: --nodes {argv[-1]}: {NODES_MESSAGE}, {least} or more"]
    assert not (tmp_path / "state").exists()


def test_the_fixtures_refuse_a_bad_nodes_count_with_the_same_message(tmp_path: Path) -> None:
    """``--kv-nodes -1`` fails the test's set-up with the verbs' message, before a bring-up."""
    (tmp_path / "test_one.py").write_text("def test_one(kv_cluster):\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--kv-nodes", "-1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout[-2000:]
    assert f"--kv-nodes -1: {NODES_MESSAGE}, 0 or more" in done.stdout, done.stdout[-2000:]
    assert "1 error" in done.stdout


@pytest.mark.parametrize(
    ("raised", "status"), [(RuntimeError("late"), 1), (KeyboardInterrupt(), 130)]
)
def test_the_cli_leaves_a_verbs_own_report_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raised: BaseException, status: int
) -> None:
    """A verb that wrote its report and then failed or was interrupted keeps its results: the
    CLI writes its single ``error`` entry only where the verb wrote nothing in this run."""
    from kubeadm_verify.cli import common, node
    from tests.unit.core.test_reports import sample

    def writes_then_fails(args: object) -> int:
        common.finish(sample(), tmp_path, "json")
        raise raised

    monkeypatch.setattr(node, "run", writes_then_fails)
    assert main(["node", "--output-dir", str(tmp_path)]) == status
    assert len(read_results(tmp_path, "node")["checks"]) == 5  # type: ignore[arg-type]

    def fails(args: object) -> int:
        raise raised

    monkeypatch.setattr(node, "run", fails)  # a second run in the same process wrote nothing
    assert main(["node", "--output-dir", str(tmp_path)]) == status
    checks = read_results(tmp_path, "node")["checks"]
    assert isinstance(checks, list) and [c["status"] for c in checks] == ["error"]
