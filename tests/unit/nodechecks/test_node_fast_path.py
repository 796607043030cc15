"""The node tier's two ways in, ``nodechecks.run.run`` and a pytest session over ``nodechecks``,
give the same results from the same settings; the direct one never imports pytest, the
kubernetes client or rich."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubeadm_verify.errors import InputError, UsageError
from kubeadm_verify.results import CheckResult, TierReport
from kubeadm_verify.runner import run_tier
from kubeadm_verify.settings import NodeSettings
from nodechecks.checks import REGISTRY
from nodechecks.configure import node_settings
from nodechecks.run import run
from tests.unit.nodechecks.node_roots import write

PLUGINS = ("nodechecks.plugin",)
CONFIG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.0.0.5
  bindPort: 8443
nodeRegistration:
  name: kvfast-node
  criSocket: unix:///run/kvfast/cri.sock
  ignorePreflightErrors: [NumCPU]
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.36.1
networking:
  serviceSubnet: 10.96.0.0/12,fd00::/108
  podSubnet: 10.244.0.0/16
etcd:
  external:
    endpoints: [https://10.0.0.9:2379]
    caFile: /etc/kvfast/etcd-ca.crt
    certFile: /etc/kvfast/etcd.crt
    keyFile: /etc/kvfast/etcd.key
"""


def comparable(result: CheckResult) -> tuple[Any, ...]:
    """Everything a result says except how long it took (details as the JSON report has them)."""
    details = json.loads(json.dumps(dict(result.details), default=str))
    return (
        result.id,
        result.status,
        result.severity,
        result.origin,
        result.message,
        result.remediation,
        details,
    )


def through_pytest(flags: list[str]) -> TierReport:
    return run_tier(
        "node", "nodechecks", args=[*flags, "-q", "-p", "no:cacheprovider"], plugins=PLUGINS
    )


def settings_and_flags(
    root: Path, config: Path | None, **extra: str
) -> tuple[NodeSettings, list[str]]:
    flags = ["--node-root", str(root)]
    for name, value in extra.items():
        flags += [f"--node-{name.replace('_', '-')}", value]
    if config is not None:
        flags += ["--node-config", str(config)]
    settings = node_settings(root=str(root), config=str(config) if config else None, **extra)  # type: ignore[arg-type]
    return settings, flags


def agree(settings: NodeSettings, flags: list[str]) -> list[str]:
    """Run direct, pytest, direct; every check whose two direct results match must have the
    same result under pytest. Returns the ids that moved between the direct runs: the host's
    free disk space and its listeners change under us (other work on the machine)."""
    before, session, after = run(settings), through_pytest(flags), run(settings)
    assert [r.id for r in session.results] == [r.id for r in before.results]
    stable = [
        (b, s)
        for b, s, a in zip(before.results, session.results, after.results, strict=True)
        if comparable(b) == comparable(a)
    ]
    assert [comparable(b) for b, _ in stable] == [comparable(s) for _, s in stable]
    assert before.exit_code() == session.exit_code()
    return [
        b.id
        for b, a in zip(before.results, after.results, strict=True)
        if comparable(b) != comparable(a)
    ]


@pytest.mark.parametrize("case", ["defaults", "config", "worker"])
def test_both_paths_agree_on_a_fabricated_root(root: Path, tmp_path: Path, case: str) -> None:
    write(root, "sys/devices/system/cpu/online", "0\n")  # NumCPU fails (or is ignored)
    write(root, "proc/sys/net/ipv4/ip_forward", "0\n")
    config = tmp_path / "kubeadm.yaml"
    config.write_text(CONFIG)
    extra = {"worker": {"role": "worker", "ignore_preflight_errors": "swap"}}.get(case, {})
    settings, flags = settings_and_flags(root, config if case == "config" else None, **extra)
    moved = agree(settings, flags)
    assert all(check_id.startswith("DiskSpace") for check_id in moved)  # statvfs is live
    assert [r.id for r in run(settings).results] == [
        "Port-8443" if case == "config" and i == "Port-6443" else i for i in REGISTRY.ids()
    ]
    assert run(settings).exit_code() == 1


def test_both_paths_agree_on_this_host() -> None:
    moved = agree(NodeSettings(), ["--node-root", "/"])
    assert len(moved) <= 5, moved


def test_the_unknown_ignore_warning_follows_the_checks(root: Path) -> None:
    report = run(node_settings(root=str(root), ignore_preflight_errors="NumCPU,kvfast-typo"))
    assert report.results[-1].id == "IgnorePreflightErrors"
    assert report.results[-1].details["unknown"] == ["kvfast-typo"]
    assert [r.id for r in report.results[:-1]] == REGISTRY.ids()


def test_settings_refuse_bad_input_once(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        NodeSettings(root=str(tmp_path / "kvfast-missing"))
    with pytest.raises(InputError, match="not a version"):
        NodeSettings(kubernetes_version="latest")
    with pytest.raises(UsageError, match="'all' is used"):
        node_settings(ignore_preflight_errors="all,numcpu")
    with pytest.raises(UsageError, match="role"):
        NodeSettings(role="master")


def test_pytest_path_refuses_bad_input_as_one_usage_error(tmp_path: Path) -> None:
    from kubeadm_verify.errors import VerifyError

    with pytest.raises(VerifyError, match="does not exist or is not a directory"):
        through_pytest(["--node-root", str(tmp_path / "kvfast-missing")])


NEVER_ON_THE_FAST_PATH = (
    "pytest",
    "_pytest",
    "kubernetes",
    "rich",
    "yaml",
    "bootstrap",
    "logging",
    "secrets",
    "encodings.idna",
    "argparse",
    "gettext",
    "xml",
    "tempfile",
    "platform",
    "dataclasses",
    "inspect",
    "socket",
    "selectors",
    "ctypes",
    "typing",
    "pathlib",
    "threading",
    "kubeadm_verify.settings",
    "kubeadm_verify.cli.parser",
    "kubeadm_verify.verboptions",
    *(
        f"kubeadm_verify.cli.{verb}"
        for verb in ("cluster", "e2e", "up", "down", "join", "phase", "binaries")
    ),
)
"""What ``kubeadm-verify node`` (no ``--config``) does without: the other tiers, their clients,
the other verbs, and what only they need (logging for the kubernetes client, OpenSSL's hashes for
run ids, the IDNA codec, which an ASCII host name does not need), argparse (a plain node command
line is read from the same declarations without it), ElementTree (the JUnit writer needs none),
tempfile (reports and the output-dir probe make their files themselves), platform, dataclasses
and the ``inspect`` it brings (results, settings, checks and the context are records,
``kubeadm_verify.record``, whose methods are not compiled per class), ``socket.py`` (which makes
an enum of every constant: the checks call its C module ``_socket``) and the ``ctypes`` package
(the clock check calls ``adjtimex`` through ``_ctypes``), ``typing`` (annotations are only read
by type checkers; ``kubeadm_verify.typeshim`` stands in for what runs), ``pathlib`` with the
``urllib.parse`` and ``fnmatch`` it brings (reports and the host take plain paths) and
``threading`` (the name lookup's one thread is a bare ``_thread``). Start-up is
most of the verb's time, so each of these would be a measurable share of it."""


@pytest.mark.parametrize("live", [False, True], ids=["fabricated-root", "this-host"])
def test_the_direct_path_imports_no_pytest_client_or_rich(
    root: Path, tmp_path: Path, live: bool
) -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)  # the interpreter's site (a .pth) may load some itself\n"
        "from kubeadm_verify.cli import main\n"
        f"status = main(['node', '--root', {'/' if live else str(root)!r}, '--format', 'json',\n"
        f"               '--output-dir', {str(tmp_path)!r}])\n"
        f"heavy = {NEVER_ON_THE_FAST_PATH!r}\n"
        "loaded = sorted(m for m in heavy if m in set(sys.modules) - before)\n"
        "print(status, loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    status, loaded = done.stderr.strip().splitlines()[-1].split(" ", 1)
    assert loaded == "[]", done.stderr[-2000:]
    assert status in (("0", "1") if live else ("0",)), done.stderr[-2000:]


ONLY_WITH_CONFIG = ("yaml", "bootstrap")
"""What ``--config`` adds: PyYAML and bootstrap's kubeadm configuration reader, the one typed
object every consumer of the file takes (its types are records too, so still no dataclasses)."""


def test_the_config_reader_adds_only_pyyaml_and_its_own_modules(root: Path, tmp_path: Path) -> None:
    config = tmp_path / "kubeadm.yaml"
    config.write_text(
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
        "localAPIEndpoint:\n  bindPort: 8443\n---\n"
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
        "kubernetesVersion: v1.37.2\n"
    )
    heavy = tuple(m for m in NEVER_ON_THE_FAST_PATH if m not in ONLY_WITH_CONFIG)
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from kubeadm_verify.cli import main\n"
        f"status = main(['node', '--root', {str(root)!r}, '--format', 'json',\n"
        f"               '--output-dir', {str(tmp_path)!r}, '--config', {str(config)!r}])\n"
        "new = set(sys.modules) - before\n"
        f"print(status, sorted(m for m in {heavy!r} if m in new), 'yaml' in new, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stderr.strip().splitlines()[-1] == "0 [] True", done.stderr[-2000:]


def test_text_to_a_pipe_is_written_without_rich(root: Path, tmp_path: Path) -> None:
    """rich adds nothing to text bound for a pipe (``kubeadm_verify.report.plaintext``)."""
    code = (
        "import sys\n"
        "from kubeadm_verify.cli import main\n"
        f"status = main(['node', '--root', {str(root)!r}, '--output-dir', {str(tmp_path)!r}])\n"
        "print(status, 'rich' in sys.modules, file=sys.stderr)\n"
    )
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment,
    )
    assert done.stderr.strip().splitlines()[-1] == "0 False", done.stderr[-2000:]
    assert done.stdout.startswith("[preflight] Running pre-flight checks\n"), done.stdout
    assert done.stdout.endswith(
        f"reports: {tmp_path}/node/junit.xml, {tmp_path}/node/results.json\n"
    )


@pytest.mark.parametrize("stdout", ["pipe", "closed-early", "closed-at-start"])
def test_the_console_entry_ends_the_node_verb_with_every_byte_written(
    root: Path, tmp_path: Path, stdout: str
) -> None:
    """The entry point leaves the node verb without the interpreter's finalisation, once its
    streams are flushed: the JSON on stdout is whole and is the report's, the status is the
    verb's; a reader that went away still gets the usual broken-pipe exit, not a lost status."""
    argv = [sys.executable, "-m", "kubeadm_verify", "node", "--root", str(root), "--format"]
    argv += ["json", "--output-dir", str(tmp_path)]
    if stdout == "pipe":
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        written = (tmp_path / "node" / "results.json").read_text(encoding="utf-8")
        assert done.stdout == written
        assert json.loads(done.stdout)["summary"]["fail"] == 0
        return
    if stdout == "closed-at-start":  # sys.stdout is None: the CLI's one line, no traceback
        started = subprocess.run(
            ["sh", "-c", 'exec "$0" "$@" >&-', *argv],
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
        assert started.returncode == 1, started.stderr[-2000:]
        assert started.stderr.startswith("kubeadm-verify: node failed: ")
        assert started.stderr.count("\n") == 1 and "Traceback" not in started.stderr
        assert (tmp_path / "node" / "results.json").is_file()
        return
    reader, writer = os.pipe()
    os.close(reader)  # nobody reads: the first flush of stdout fails
    with os.fdopen(writer, "wb") as closed:
        ended = subprocess.run(argv, stdout=closed, stderr=subprocess.PIPE, timeout=60, check=False)
    assert ended.returncode != 0
    assert (tmp_path / "node" / "results.json").is_file()
