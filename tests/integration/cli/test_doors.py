"""Inputs built to exhaust the reader behind each door, run through the CLI as a subprocess.

Each is bounded where it enters (``kubeadm_verify.yamlread`` for YAML): the run ends in a few
seconds with one line and exit 2, or, for a host file under ``--root``, with that one check
warning "cannot determine", instead of growing past gigabytes and never finishing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.upstream.deadline import Deadline
from bootstrap.upstream.download import fetch_verified
from kubeadm_verify.errors import FetchError
from tests.integration.cli.conftest import Cli, assert_outcome, interrupt
from tests.integration.e2e.mirror import Mirror, Route, serve
from tests.unit.core.hostile_http import hostile
from tests.unit.core.test_yamlread import laughs
from tests.unit.nodechecks.node_roots import healthy_root, write

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
WALL_S = 20
LAUGHS = laughs() + "current-context: *a9\n"
"""A billion nodes once expanded, ending in a key a reader would go on to use."""


@pytest.mark.parametrize("verb", ["cluster", "e2e"])
def test_a_billion_laughs_kubeconfig_is_one_line_and_exit_2(cli: Cli, verb: str) -> None:
    kubeconfig = cli.root / "laughs.conf"
    kubeconfig.write_text(LAUGHS)
    outcome = cli.run(verb, "--kubeconfig", str(kubeconfig), timeout=WALL_S * 3)
    assert_outcome(
        cli, outcome, code=2, says="once its aliases are expanded", tier=verb, within=WALL_S
    )
    assert "refused" in outcome.lines[0]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[" * 200_000 + "]" * 200_000, "nested deeper than 100 levels"),
        ("clusters: &a [{name: k, cluster: {extensions: *a}}]\n", "inside its own anchor"),
    ],
)
def test_a_kubeconfig_without_end_is_one_line_and_exit_2(cli: Cli, text: str, says: str) -> None:
    kubeconfig = cli.root / "endless.conf"
    kubeconfig.write_text(text)
    outcome = cli.run("cluster", "--kubeconfig", str(kubeconfig), timeout=WALL_S * 3)
    assert_outcome(cli, outcome, code=2, says=says, tier="cluster", within=WALL_S)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (os.mkfifo, "a FIFO, not a regular file"),
        (lambda path: path.mkdir(), "Is a directory"),
    ],
)
def test_a_kubeconfig_that_is_no_file_is_named_as_what_it_is(
    cli: Cli, make: object, says: str
) -> None:
    kubeconfig = cli.root / "special"
    make(kubeconfig)  # type: ignore[operator]
    outcome = cli.run("cluster", "--kubeconfig", str(kubeconfig), timeout=WALL_S * 3)
    assert_outcome(cli, outcome, code=2, says=says, tier="cluster", within=WALL_S)
    assert "does not exist" not in outcome.lines[0]


@pytest.mark.parametrize("verb", ["node", "up"])
def test_a_billion_laughs_kubeadm_config_is_one_line_and_exit_2(cli: Cli, verb: str) -> None:
    config = cli.root / "kubeadm.yaml"
    config.write_text(LAUGHS)
    extra = ["--name", "dr-laughs", "--state-dir", str(cli.root / "state")] if verb == "up" else []
    outcome = cli.run(
        verb, "--config", str(config), *extra, output=verb == "node", timeout=WALL_S * 3
    )
    assert_outcome(
        cli,
        outcome,
        code=2,
        says="refused (line 6): more than 200000 nodes once its aliases are expanded",
        tier="node" if verb == "node" else None,
        within=WALL_S,
    )
    assert not (cli.root / "state").exists() or not any((cli.root / "state").iterdir())


def test_a_billion_laughs_kubelet_config_under_root_cannot_be_determined(tmp_path: Path) -> None:
    root = healthy_root(tmp_path / "kvdoors-root")
    write(root, "var/lib/kubelet/config.yaml", laughs() + "cgroupDriver: *a9\n")
    out = tmp_path / "out"
    done, elapsed = _run_node(root, out)
    assert done.returncode in (0, 1), done.stderr
    assert elapsed < WALL_S
    checks = {c["id"]: c for c in json.loads((out / "node" / "results.json").read_text())["checks"]}
    driver = checks["CgroupDriver"]
    assert driver["status"] == "warn", driver
    assert driver["message"].startswith("cannot determine the kubelet's cgroup driver")
    assert "once its aliases are expanded" in driver["message"]
    assert (out / "node" / "junit.xml").stat().st_size < 200_000


def _run_node(root: Path, out: Path) -> tuple[subprocess.CompletedProcess[bytes], float]:
    started = time.monotonic()
    done = subprocess.run(
        [
            "timeout",
            str(WALL_S * 3),
            sys.executable,
            "-m",
            "kubeadm_verify",
            "node",
            "--root",
            str(root),
            "--output-dir",
            str(out),
        ],
        capture_output=True,
        cwd=REPO,
        check=False,
    )
    return done, time.monotonic() - started


def test_host_text_is_cut_and_escaped_before_any_report(tmp_path: Path) -> None:
    """Megabytes of host text with terminal escapes and NUL, quoted by two checks: the reports
    stay small, junit.xml parses, the console carries no raw control character."""
    root = healthy_root(tmp_path / "kvdoors-root")
    big = "A" * (3 * 1024 * 1024)
    write(
        root,
        "var/lib/kubelet/config.yaml",
        f'kind: KubeletConfiguration\ncgroupDriver: "\\e[2J\\0\\a{big}"\n',
    )
    write(root, "etc/machine-id", "\x1b]0;owned\x07\x00" + "B" * (8 * 1024 * 1024 - 64))
    out = tmp_path / "out"
    done, elapsed = _run_node(root, out)
    assert done.returncode in (0, 1), done.stderr
    assert elapsed < WALL_S
    junit, results = out / "node" / "junit.xml", out / "node" / "results.json"
    ET.parse(junit)  # well-formed
    assert junit.stat().st_size < 200_000 and results.stat().st_size < 200_000
    assert len(done.stdout) + len(done.stderr) < 20_000
    for raw in (b"\x1b", b"\x00", b"\x07"):
        assert raw not in done.stdout + done.stderr + junit.read_bytes()
    checks = {c["id"]: c for c in json.loads(results.read_text())["checks"]}
    driver = checks["CgroupDriver"]["message"]
    assert "\\x1b[2J\\x00\\x07" in driver and "[cut at" in driver


def test_a_lower_cased_private_key_quoted_from_a_host_file_is_redacted(tmp_path: Path) -> None:
    root = healthy_root(tmp_path / "kvdoors-root")
    body = "miievqibadanbgkqhkig9w0baqefaascbkcwggslagplantedkvdoorskey"
    key = f"-----begin private key-----\\n{body}\\n-----end private key-----"
    write(
        root, "var/lib/kubelet/config.yaml", f'kind: KubeletConfiguration\ncgroupDriver: "{key}"\n'
    )
    out = tmp_path / "out"
    done, elapsed = _run_node(root, out)
    assert done.returncode in (0, 1) and elapsed < WALL_S, done.stderr
    checks = {c["id"]: c for c in json.loads((out / "node" / "results.json").read_text())["checks"]}
    assert "<redacted private key>" in checks["CgroupDriver"]["message"]
    written = b"".join(p.read_bytes() for p in (out / "node").iterdir())
    assert b"plantedkvdoorskey" not in written + done.stdout + done.stderr


# Downloads: one deadline over checksums, headers and body ------------------------------------

VERSION = "v1.37.2"
PACKAGE = f"/release/{VERSION}/kubernetes-test-linux-amd64.tar.gz"


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serve(Mirror()) as running:
        yield running


def _e2e_args(cli: Cli, mirror: Mirror, *extra: str) -> list[str]:
    kubeconfig = cli.root / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    return [
        "--mirror",
        mirror.url,
        "--kubernetes-version",
        VERSION,
        "--kubeconfig",
        str(kubeconfig),
        *extra,
    ]


@pytest.mark.parametrize("stall", ["headers", "body"])
def test_a_checksum_that_trickles_ends_at_the_download_deadline(
    cli: Cli, mirror: Mirror, stall: str
) -> None:
    """The checksum is fetched before the package: its headers (or its body) trickled one byte
    a second never trip the read timeout, yet the run ends at ``--download-timeout``."""
    body = b"not reached"
    digest = "0" * 64
    route = (
        Route(digest.encode(), header_trickle_s=0.5)
        if stall == "headers"
        else Route((digest + " " * 4000).encode(), trickle_s=0.5)
    )
    mirror.routes[f"{PACKAGE}.sha256"] = route
    mirror.routes[PACKAGE] = Route(body)
    outcome = cli.run("e2e", *_e2e_args(cli, mirror, "--download-timeout", "3s"), timeout=60)
    assert_outcome(
        cli,
        outcome,
        code=2,
        says="did not finish within 3s (--download-timeout)",
        tier="e2e",
        within=12,
    )
    assert mirror.count(PACKAGE) == 0


def test_a_release_binary_whose_checksum_headers_trickle_ends_at_its_deadline(
    tmp_path: Path, mirror: Mirror
) -> None:
    path = "/release/v1.37.2/bin/linux/amd64/kubectl"
    mirror.routes[f"{path}.sha256"] = Route(b"0" * 64, header_trickle_s=0.5)
    started = time.monotonic()
    with (
        Deadline(2) as deadline,
        deadline.session() as session,
        pytest.raises(FetchError, match="did not finish within 2s"),
    ):
        fetch_verified(session, mirror.url + path, tmp_path / "kubectl", deadline)
    assert time.monotonic() - started < 6
    assert list(tmp_path.iterdir()) == []


# The API server's answers: one deadline and a size cap per raw call; exec plugins bounded ------


def _kubeconfig(cli: Cli, server: str, user: dict[str, object] | None = None) -> Path:
    path = cli.root / "api.kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "k", "cluster": {"server": server}}],
                "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
                "users": [{"name": "u", "user": user or {"token": "kvdoors-token"}}],
            }
        )
    )
    return path


def test_an_api_server_answering_without_end_is_refused_at_the_cap(cli: Cli) -> None:
    with hostile("endless") as server:
        outcome = cli.run(
            "cluster", "--kubeconfig", str(_kubeconfig(cli, server)), timeout=WALL_S * 3
        )
    assert_outcome(
        cli,
        outcome,
        code=2,
        says="answered GET /version with more than 16 MiB",
        tier="cluster",
        within=WALL_S,
    )


def test_an_api_server_trickling_its_headers_ends_at_the_deadline(cli: Cli) -> None:
    """A byte every 0.5 s never trips the 15 s read timeout; the 20 s deadline ends the call,
    and the message names the bound that was hit (not the 5 s connect timeout)."""
    with hostile("trickle-headers") as server:
        outcome = cli.run(
            "cluster", "--kubeconfig", str(_kubeconfig(cli, server)), timeout=WALL_S * 4
        )
    assert_outcome(
        cli, outcome, code=2, says="did not answer within 20s", tier="cluster", within=30
    )
    assert outcome.seconds > 19


def test_an_interrupted_run_leaves_no_exec_plugin_behind(cli: Cli) -> None:
    pids = cli.root / "plugin.pids"
    script = cli.root / "credential"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pids}\necho $$ >> {pids}\nwait\n")
    script.chmod(0o755)
    user: dict[str, object] = {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(script)}
    }
    proc = cli.start("cluster", "--kubeconfig", str(_kubeconfig(cli, "https://127.0.0.1:1", user)))
    until = time.monotonic() + 20
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < until and proc.poll() is None, "the plugin never started"
        time.sleep(0.1)
    outcome = interrupt(proc, signal.SIGINT, after=0.2, timeout=30)
    assert outcome.code == 130, outcome.stderr
    assert outcome.seconds < 10
    for pid in (int(p) for p in pids.read_text().split()):
        assert _not_running(pid), f"the plugin's process {pid} outlived the run"


def _not_running(pid: int) -> bool:
    until = time.monotonic() + 3
    while time.monotonic() < until:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return True
        if state == "Z" or not (command.startswith(b"sleep") or b"credential" in command):
            return True
        time.sleep(0.05)
    return False


# Messages that say what is true ----------------------------------------------------------------


def test_a_test_package_that_is_a_fifo_is_not_called_missing(cli: Cli) -> None:
    fifo = cli.root / "package.tar.gz"
    os.mkfifo(fifo)
    kubeconfig = cli.root / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    outcome = cli.run(
        "e2e",
        "--kubeconfig",
        str(kubeconfig),
        "--kubernetes-version",
        VERSION,
        "--test-package",
        str(fifo),
        timeout=WALL_S * 3,
    )
    assert_outcome(cli, outcome, code=2, says="not a regular file", tier="e2e", within=WALL_S)
    assert "no such file" not in outcome.lines[0]


def test_a_default_kubeconfig_that_is_a_fifo_is_not_called_missing(cli: Cli) -> None:
    (cli.root / "home" / ".kube").mkdir()
    os.mkfifo(cli.root / "home" / ".kube" / "config")
    outcome = cli.run("cluster", timeout=WALL_S * 3)
    assert_outcome(
        cli, outcome, code=2, says="a FIFO, not a regular file", tier="cluster", within=WALL_S
    )
    assert "does not exist" not in outcome.lines[0]


_CONTEXT = (
    "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
    "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:1'}}]\n"
)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("clusters: [1]\n", "clusters[0] is not a mapping"),
        ("current-context: [1]\n", "current-context is not a string"),
        (
            "current-context: c\ncontexts: [{name: c, context: x}]\n",
            "contexts[0].context is not a mapping",
        ),
        (
            "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
            "clusters: [{name: k, cluster: {server: 12}}]\n",
            "cluster.server is not a string",
        ),
        (
            _CONTEXT + "users: [{name: u, user: {exec: {command: /bin/true, apiVersion: v1, "
            "args: 5}}}]\n",
            "exec.args is not a list of strings",
        ),
        (
            _CONTEXT + "users: [{name: u, user: {exec: {command: /bin/true, apiVersion: v1, "
            "env: [1]}}}]\n",
            "exec.env is not a list of name/value strings",
        ),
    ],
)
def test_a_mistyped_kubeconfig_field_is_one_line_and_exit_2(cli: Cli, body: str, says: str) -> None:
    """Each of these was exit 1 with an exception's text (``ValueError``, ``TypeError``)."""
    kubeconfig = cli.root / "typed.conf"
    kubeconfig.write_text(body)
    outcome = cli.run("cluster", "--kubeconfig", str(kubeconfig), timeout=WALL_S * 3)
    assert_outcome(cli, outcome, code=2, says=says, tier="cluster", within=WALL_S)
