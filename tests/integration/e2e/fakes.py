"""Fake test packages: tarballs whose ``e2e.test`` and ``ginkgo`` are small shell scripts.

They behave enough like the real pair for the whole path to run (fetch, verify, extract, run,
parse, report): ``ginkgo`` records its argv and runs the binary after its flags with the
arguments after ``--``; ``e2e.test`` records its argv, answers ``--list-tests``, posts progress
to ``--progress-report-url``, prints ginkgo-like output and writes ``junit_01.xml`` into
``--report-dir``. Every script appends to a marker file, so a test can prove a bad package never
ran. The log and the JUnit file are derived from one list of specs, so their counts agree unless a
scenario says otherwise.
"""

from __future__ import annotations

import hashlib
import io
import shlex
import sys
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

POD_SPEC = "[sig-node] Pods should be submitted and removed [Conformance] [NodeConformance]"
DNS_SPEC = "[sig-network] DNS should provide DNS for the cluster [Conformance]"
OTHER_SPEC = "[sig-storage] CSI Volumes should do something that is not conformance"
SKIPPING_SPEC = "[sig-node] Probing container should be skipped on this provider [Conformance]"
SUITE_NODES = (
    "[ReportBeforeSuite]",
    "[SynchronizedBeforeSuite]",
    "[ReportAfterSuite] Kubernetes e2e JUnit report",
)


@dataclass(frozen=True)
class Spec:
    name: str
    state: str = "passed"  # passed | failed | not-selected | self-skipped
    message: str = ""


@dataclass(frozen=True)
class Scenario:
    """What the fake suite reports; the defaults are a clean, complete run of two specs."""

    specs: tuple[Spec, ...] = (
        Spec(POD_SPEC),
        Spec(DNS_SPEC),
        Spec(OTHER_SPEC, "not-selected"),
    )
    listing: tuple[str, ...] = (POD_SPEC, DNS_SPEC, OTHER_SPEC)
    exit_code: int | None = None  # None: 0 if nothing failed, else 1
    stop_early: bool = False  # announce the plan, run one spec, then die without a summary
    hang: bool = False  # announce the plan, then wait for SIGINT (and record that it came)
    extra_files: dict[str, bytes] = field(default_factory=dict)

    def ran(self) -> list[Spec]:
        return [s for s in self.specs if s.state in ("passed", "failed")]

    def planned(self) -> list[Spec]:
        return [s for s in self.specs if s.state != "not-selected"]

    def code(self) -> int:
        if self.exit_code is not None:
            return self.exit_code
        return 1 if any(s.state == "failed" for s in self.specs) else 0


def junit_xml(scenario: Scenario) -> str:
    cases = [
        f'<testcase name={quoteattr(n)} classname="Kubernetes e2e suite" status="passed" '
        'time="0.01"></testcase>'
        for n in SUITE_NODES
    ]
    for spec in scenario.specs:
        name = quoteattr(f"[It] {spec.name}")
        head = f'<testcase name={name} classname="Kubernetes e2e suite"'
        if spec.state == "passed":
            cases.append(f'{head} status="passed" time="1.5"></testcase>')
        elif spec.state == "failed":
            cases.append(
                f'{head} status="failed" time="2.0"><failure type="failed">'
                f"[FAILED] {spec.message}\nIn [It] at: pods.go:12</failure></testcase>"
            )
        elif spec.state == "self-skipped":
            reason = quoteattr(f"skipped - {spec.message}")
            cases.append(
                f'{head} status="skipped" time="0.2"><skipped message={reason}/></testcase>'
            )
        else:
            cases.append(
                f'{head} status="skipped" time="0"><skipped message="skipped"/></testcase>'
            )
    total = len(cases)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites tests="{total}" disabled="0" errors="0" failures="0" time="3">\n'
        f'<testsuite name="Kubernetes e2e suite" package="/bin" tests="{total}">\n'
        '<properties><property name="SuiteSucceeded" value="true"/></properties>\n'
        + "\n".join(cases)
        + "\n</testsuite>\n</testsuites>\n"
    )


def console_log(scenario: Scenario) -> str:
    total = len(scenario.specs)
    head = (
        "Running Suite: Kubernetes e2e suite - /usr/local/bin\n"
        "====================================================\nRandom Seed: 1700000000\n\n"
        f"Will run {len(scenario.planned())} of {total} specs\n"
    )
    if scenario.stop_early or scenario.hang:
        return head + "•"
    failed = sum(s.state == "failed" for s in scenario.specs)
    verdict = "FAIL!" if failed else "SUCCESS!"
    return (
        head
        + "".join("•" if s.state != "not-selected" else "S" for s in scenario.specs)
        + f"\n\nRan {len(scenario.ran())} of {total} Specs in 0.300 seconds\n"
        + f"{verdict} -- {len(scenario.ran()) - failed} Passed | {failed} Failed | "
        + f"0 Pending | {total - len(scenario.ran())} Skipped\n"
    )


def _progress_command(scenario: Scenario) -> str:
    """A python one-liner posting the framework's progress JSON for each spec that ran."""
    posts = [{"msg": "Test Suite starting", "total": len(scenario.planned())}]
    posts += [
        {
            "msg": f"{'PASSED' if s.state == 'passed' else 'FAILED'} {s.name}",
            "total": len(scenario.planned()),
        }
        for s in scenario.ran()
    ]
    code = (
        "import json,sys,urllib.request\n"
        f"for p in {posts!r}:\n"
        " r=urllib.request.Request(sys.argv[1],json.dumps(p).encode(),"
        "{'Content-Type':'application/json'})\n"
        " urllib.request.urlopen(r,timeout=5).read()\n"
    )
    return f'[ -n "$progress" ] && {shlex.quote(sys.executable)} -c {shlex.quote(code)} "$progress"'


def e2e_script(scenario: Scenario, marker: Path) -> str:
    listing = "\n".join(
        f"    test/e2e/fake.go:{i + 10}: {name}" for i, name in enumerate(scenario.listing)
    )
    ending = "kill -9 $$" if scenario.stop_early else f"exit {scenario.code()}"
    if scenario.hang:
        ending = (
            f"trap 'echo interrupted >> {shlex.quote(str(marker))}; exit 130' INT\n"
            f"echo hanging >> {shlex.quote(str(marker))}\nsleep 60 & wait"
        )
    write_junit = (
        ""
        if scenario.stop_early or scenario.hang
        else ("cat > \"$report/junit_01.xml\" <<'XML_END'\n" + junit_xml(scenario) + "XML_END")
    )
    return f"""#!/bin/sh
echo "e2e.test $*" >> {shlex.quote(str(marker))}
if [ "$1" = "--list-tests" ]; then
cat <<'LIST_END'
The following spec names can be used with 'ginkgo run --focus/skip':
{listing}

LIST_END
exit 0
fi
report=""; progress=""
for arg in "$@"; do
  case "$arg" in
    --report-dir=*) report="${{arg#--report-dir=}}";;
    --progress-report-url=*) progress="${{arg#--progress-report-url=}}";;
  esac
done
{_progress_command(scenario)}
cat <<'LOG_END'
{console_log(scenario)}
LOG_END
{write_junit}
{ending}
"""


def ginkgo_script(marker: Path) -> str:
    return f"""#!/bin/sh
echo "ginkgo $*" >> {shlex.quote(str(marker))}
suite=""
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break;;
    --*) ;;
    *) suite="$1";;
  esac
  shift
done
"$suite" "$@"
status=$?
echo "Ginkgo ran 1 suite in 300ms"
if [ $status -eq 0 ]; then echo "Test Suite Passed"; else echo "Test Suite Failed"; fi
exit $status
"""


def build_tarball(
    scenario: Scenario, marker: Path, extra_members: Sequence[tarfile.TarInfo] = ()
) -> bytes:
    """A gzipped tar with the kubernetes/test/bin layout of the real package."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for directory in ("kubernetes", "kubernetes/test", "kubernetes/test/bin"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        files = {
            "kubernetes/test/bin/e2e.test": e2e_script(scenario, marker).encode(),
            "kubernetes/test/bin/ginkgo": ginkgo_script(marker).encode(),
            **scenario.extra_files,
        }
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
        for member in extra_members:
            tar.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
    return buffer.getvalue()


def escaping_member() -> tarfile.TarInfo:
    info = tarfile.TarInfo("kubernetes/../../escaped.txt")
    info.size = 1
    return info


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
