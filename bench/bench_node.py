"""``kubeadm-verify node`` beside kubeadm's own ``init phase preflight --dry-run``, on this host.

Both get the same kubeadm config (a free ``bindPort``, so neither trips over a cluster another
process runs) and run as fresh processes, alternately (the order flips each round, so a burst of
load hits both alike), ``--runs`` times each after one warm-up. Printed: the median wall time of
each and their ratio (target: ours at or below kubeadm's), the median CPU time and peak RSS (CPU
time barely moves with the machine's load, wall time does), the load average before and after,
and the interpreter's own start (``python -c pass``) as the floor under our figure.

Our side runs the way an installed package does: the ``kubeadm-verify`` console script beside
the interpreter when there is one (run the bench with a venv's python that has the wheel
installed), else ``python -m kubeadm_verify``; with compiled bytecode (kept under a temporary
``PYTHONPYCACHEPREFIX``, so the tree is left as it was). ``--importtime`` prints our slowest
imports of one run; ``--breakdown`` where the time of a run goes (median of the rounds, timed
inside the process): the command line, the node tier's modules, the configuration, the checks,
the reports.

    python bench/bench_node.py [--runs 15] [--kubeadm PATH] [--no-config] [--importtime]
                               [--breakdown]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CONFIG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  bindPort: {port}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.2
"""


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    rss_mb: float
    status: int


def one_run(argv: list[str], env: dict[str, str]) -> Run:
    """Wall seconds, CPU seconds (user + system) and peak RSS of the process, and its status."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        return int(probe.getsockname()[1])


def kubeadm_binary() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kubeadm_verify", "binaries", "--source", "build"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return str(Path(done.stdout.strip().splitlines()[-1]) / "kubeadm")


def slowest_imports(argv: list[str], env: dict[str, str], count: int = 15) -> list[tuple[int, str]]:
    done = subprocess.run(
        argv,
        env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


BREAKDOWN = """\
import gc, io, json, sys, time
gc.disable()  # as kubeadm_verify.__main__ does
marks = []
clock = time.perf_counter
started = clock()
def mark(name):
    marks.append((name, clock()))
from kubeadm_verify import cli
args = cli.parse_arguments(["node", *sys.argv[1:]], "node")
mark("command line (the CLI module, the node verb's declared options)")
from kubeadm_verify.cli import common, node
mark("the core: settings, results, redaction, report writers")
from nodechecks import configure, run
mark("the node checks' modules")
settings = node.settings_from_args(args)
mark("settings (the --config reader and its modules)")
report = run.run(settings)
mark("checks")
sys.stdout = io.StringIO()
common.finish(report, args.output_dir, args.format)
sys.stdout = sys.__stdout__
mark("reports (JUnit, results.json, stdout)")
gc.freeze()
previous, spans = started, {}
for name, at in marks:
    spans[name], previous = at - previous, at
print(json.dumps(spans))
"""
"""Times the stages of one ``kubeadm-verify node`` in its own process, with the CLI's own calls."""


def breakdown(argv: list[str], env: dict[str, str], rounds: int) -> dict[str, float]:
    """Median seconds per stage; "interpreter start" is ``python -c pass``'s median wall time."""
    node_args = argv[argv.index("node") + 1 :]
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        done = subprocess.run(
            [sys.executable, "-c", BREAKDOWN, *node_args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        for name, seconds in json.loads(done.stdout.splitlines()[-1]).items():
            samples.setdefault(name, []).append(seconds)
    return {name: statistics.median(values) for name, values in samples.items()}


def our_command() -> list[str]:
    """The console script a user runs, when this interpreter's environment has one."""
    script = Path(sys.executable).parent / "kubeadm-verify"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kubeadm_verify"]


def summary(name: str, runs: list[Run]) -> str:
    walls = [r.wall_s for r in runs]
    return (
        f"  {name:<16} wall median {statistics.median(walls):.3f} s "
        f"(min {min(walls):.3f}, max {max(walls):.3f}); "
        f"CPU median {statistics.median(r.cpu_s for r in runs):.3f} s; "
        f"peak RSS median {statistics.median(r.rss_mb for r in runs):.1f} MB; "
        f"exit {sorted({r.status for r in runs})}"
    )


def alternate(
    sides: dict[str, tuple[list[str], dict[str, str]]],
    rounds: int,
) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {name: [] for name in sides}
    for argv, env in sides.values():
        one_run(argv, env)  # warm the page cache and write the bytecode cache
    names = list(sides)
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            argv, env = sides[name]
            runs[name].append(one_run(argv, env))
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--kubeadm", help="the kubeadm binary (default: the pinned build)")
    parser.add_argument(
        "--no-config",
        action="store_true",
        help="run ours without --config (kubeadm always gets one)",
    )
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time the stages of our runs, inside the process",
    )
    args = parser.parse_args()
    kubeadm = args.kubeadm or kubeadm_binary()
    with tempfile.TemporaryDirectory(prefix="kvfast-bench-") as folder:
        work = Path(folder)
        config = work / "kubeadm.yaml"
        config.write_text(CONFIG.format(port=free_port()))
        (work / "dry-run").mkdir()
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        ours_env = {**base, "PYTHONPYCACHEPREFIX": str(work / "pycache")}
        ours = [*our_command(), "node", "--format", "json", "--output-dir", str(work / "reports")]
        if not args.no_config:
            ours += ["--config", str(config)]
        theirs = [kubeadm, "init", "phase", "preflight", "--dry-run", "--config", str(config)]
        sides = {
            "kubeadm": (theirs, {**base, "KUBEADM_INIT_DRYRUN_DIR": str(work / "dry-run")}),
            "kubeadm-verify": (ours, ours_env),
            "python -c pass": ([sys.executable, "-c", "pass"], ours_env),
        }
        load_before = os.getloadavg()
        runs = alternate(sides, args.runs)
        load_after = os.getloadavg()
        imports = slowest_imports(ours, ours_env) if args.importtime else []
        stages = breakdown(ours, ours_env, args.runs) if args.breakdown else {}
    ratio = statistics.median(r.wall_s for r in runs["kubeadm-verify"]) / statistics.median(
        r.wall_s for r in runs["kubeadm"]
    )
    cpu_ratio = statistics.median(r.cpu_s for r in runs["kubeadm-verify"]) / statistics.median(
        r.cpu_s for r in runs["kubeadm"]
    )
    print(
        f"node tier vs kubeadm init phase preflight --dry-run: {args.runs} alternating runs "
        f"each, on {os.cpu_count()} CPUs"
    )
    print(
        f"  load average before {' '.join(f'{x:.2f}' for x in load_before)}, "
        f"after {' '.join(f'{x:.2f}' for x in load_after)}"
    )
    for name, side_runs in runs.items():
        print(summary(name, side_runs))
    verdict = "ok" if ratio <= 1.0 else "OVER"
    print(
        f"  ratio ours/kubeadm: wall {ratio:.2f}x (target <= 1.00: {verdict}), CPU {cpu_ratio:.2f}x"
    )
    start = statistics.median(r.wall_s for r in runs["python -c pass"])
    for name, seconds in {"interpreter start (python -c pass)": start, **stages}.items():
        if stages:
            print(f"  stage {seconds * 1000:7.1f} ms {name}")
    for cumulative_us, name in imports:
        print(f"  import {cumulative_us / 1000:7.1f} ms {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
