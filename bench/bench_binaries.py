"""What ``kubeadm-verify binaries`` costs: a cached run, a warm rebuild, a cold build per binary.

- ``cached``: runs the CLI on the existing cache (sha256 of every file, nothing built).
- ``rebuild``: a fresh ``XDG_CACHE_HOME`` with Go's build cache as it is (warm after one build):
  module generation, ``go mod tidy`` and one link per binary.
- ``cold``: a fresh ``XDG_CACHE_HOME`` *and* a fresh, empty ``GOCACHE``: everything compiled,
  in the order a first run compiles it, so each step's time is what that binary adds to the ones
  before it; ``--with-e2e`` then builds the test package the same way.
- ``isolated``: each binary alone in its own empty ``GOCACHE`` (the cost of that one binary).

The module cache (``GOMODCACHE``) is shared: downloads are not measured. Others' work loads the
same CPUs, so the load average is printed with the figures. Figures are printed, not asserted.

    python bench/bench_binaries.py cached [--runs 5]
    python bench/bench_binaries.py rebuild | cold [--with-e2e] | isolated [--only TARGET ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bootstrap.upstream.gobuild import GoBuild  # noqa: E402
from bootstrap.upstream.versions import KUBERNETES_VERSION, SERVER_BINARIES  # noqa: E402


def cli(env: dict[str, str]) -> float:
    argv = [sys.executable, "-m", "kubeadm_verify", "binaries", "--source", "build"]
    started = time.monotonic()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def step_times(log: Path) -> list[tuple[str, float]]:
    """The ``### exit 0 after 12.3s: what`` lines the builder writes to its log."""
    steps = []
    for line in log.read_text().splitlines():
        if line.startswith("### exit 0 after "):
            seconds, what = line[len("### exit 0 after ") :].split("s: ", 1)
            steps.append((what, float(seconds)))
    return steps


def go_cache() -> str:
    out = subprocess.run(["go", "env", "GOCACHE"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def cached(runs: int) -> None:
    times = [cli(dict(os.environ)) for _ in range(runs)]
    print(
        f"cached run: min {min(times):.3f}s median {statistics.median(times):.3f}s "
        f"max {max(times):.3f}s over {runs} runs"
    )


def fresh_build(*, cold: bool, with_e2e: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="kv-bench-") as scratch:
        # Go derives its default GOCACHE from XDG_CACHE_HOME: pin it, or every build is cold.
        env = {**os.environ, "XDG_CACHE_HOME": f"{scratch}/xdg", "GOCACHE": go_cache()}
        if cold:
            env["GOCACHE"] = f"{scratch}/gocache"
        total = cli(env)
        print(f"{'cold' if cold else 'rebuild'}: `binaries --source build` {total:.1f}s")
        if with_e2e:
            argv = [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; "
                "from bootstrap.upstream.testpkg import build_test_package as b; "
                "b(None, Path(sys.argv[1]))",
                f"{scratch}/mirror",
            ]
            started = time.monotonic()
            subprocess.run(argv, env=env, check=True, cwd=REPO)
            print(f"test package (e2e.test + ginkgo + pack): {time.monotonic() - started:.1f}s")
        log = Path(scratch, "xdg", "kubeadm-verify", "gobuild", KUBERNETES_VERSION, "build.log")
        for what, seconds in step_times(log):
            print(f"  {seconds:8.1f}s  {what}")


TARGETS = (*SERVER_BINARIES, "etcd", "kwok", "e2e.test", "ginkgo")


def isolated(targets: list[str]) -> None:
    """Each target alone, from an empty GOCACHE, in the modules a real run generates."""
    with tempfile.TemporaryDirectory(prefix="kv-bench-") as scratch:
        os.environ["XDG_CACHE_HOME"] = f"{scratch}/xdg"
        build = GoBuild.for_version(KUBERNETES_VERSION)
        out = Path(scratch, "out")
        out.mkdir()
        build.kubernetes_module(), build.etcd_module(), build.e2e_module()  # tidy, not timed
        for target in targets:
            gocache = Path(scratch, "gocache")
            os.environ["GOCACHE"] = str(gocache)
            started = time.monotonic()
            if target in SERVER_BINARIES:
                build.build_kubernetes(out, [target])
            else:
                {
                    "etcd": build.build_etcd,
                    "kwok": build.build_kwok,
                    "e2e.test": build.build_e2e_test,
                    "ginkgo": build.build_ginkgo,
                }[target](out)
            print(f"isolated cold {target}: {time.monotonic() - started:.1f}s", flush=True)
            shutil.rmtree(gocache, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["cached", "rebuild", "cold", "isolated"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--with-e2e", action="store_true")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=TARGETS,
        default=list(TARGETS),
        help="isolated: the targets to build, each from an empty GOCACHE",
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}", flush=True)
    if args.mode == "cached":
        cached(args.runs)
    elif args.mode == "isolated":
        isolated(args.only)
    else:
        fresh_build(cold=args.mode == "cold", with_e2e=args.with_e2e)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
