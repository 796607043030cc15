"""What ``kubeadm-verify node`` costs on the live host: wall time and peak RSS, median of N runs.

Targets (2-core machine): under 0.5 s and 60 MB. Each run is a fresh process, waited for with
``os.wait4`` so its own peak RSS and CPU time are read; the load average is printed because other
work on the machine moves the wall time (CPU time barely moves with it). ``--importtime`` also
prints the slowest imports of one run.

    python bench/bench_node.py [--runs 7] [--root DIR] [--importtime]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 0.5
TARGET_MB = 60.0


def one_run(argv: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system), peak RSS in MB, and the exit status."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode


def slowest_imports(argv: list[str], count: int = 12) -> list[tuple[int, str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", *argv[1:]], capture_output=True,
                          text=True, check=False)
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--root", default="/")
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        argv = [sys.executable, "-m", "kubeadm_verify", "node", "--format", "json",
                "--root", args.root, "--output-dir", out]
        one_run(argv)  # warm the page cache and the bytecode cache
        load = os.getloadavg()
        runs = [one_run(argv) for _ in range(args.runs)]
        imports = slowest_imports(argv) if args.importtime else []
    times, cpu, rss = [r[0] for r in runs], [r[1] for r in runs], [r[2] for r in runs]
    median_s, median_mb = statistics.median(times), statistics.median(rss)
    print(f"kubeadm-verify node --root {args.root}: {args.runs} runs, exit {runs[-1][3]}")
    print(f"  load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} CPUs")
    print(f"  wall time: median {median_s:.3f} s (min {min(times):.3f}, max {max(times):.3f}); "
          f"target < {TARGET_S} s: {'ok' if median_s < TARGET_S else 'OVER'}")
    print(f"  CPU time:  median {statistics.median(cpu):.3f} s user+system (what the run costs "
          "whatever the load)")
    print(f"  peak RSS:  median {median_mb:.1f} MB (max {max(rss):.1f}); "
          f"target < {TARGET_MB:.0f} MB: {'ok' if median_mb < TARGET_MB else 'OVER'}")
    for cumulative_us, name in imports:
        print(f"  import {cumulative_us / 1000:7.1f} ms {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
