"""The one command line that runs the suite, with every ginkgo parameter stated.

Shape (as kubetest2, go-runner and the conformance image run it)::

    ginkgo --procs=N --timeout=T --no-color [--focus=RE] [--skip=RE] [--label-filter=L]
        /abs/e2e.test -- --provider=skeleton --kubeconfig=/abs/kubeconfig [--context=C]
        --report-dir=/abs/dir --disable-log-dump=true [--kubectl-path=/abs/kubectl]
        [--progress-report-url=http://127.0.0.1:PORT/progress]

Why each is explicit: ginkgo v2's default suite timeout is one hour, which kills a certified run;
``-p`` sizes itself from cgroup limits, ``--procs`` does not; parallel runs need the ginkgo CLI;
ginkgo changes directory, so every path is absolute; ``--provider=skeleton`` is what the framework
falls back to anyway, said out loud; log dumps would try to SSH to nodes. ``--clean-start`` is
never passed: it deletes every non-system namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conformance.e2e.cache import Binaries
from conformance.e2e.modes import Selection


@dataclass(frozen=True)
class Invocation:
    """Everything the command line depends on besides the binaries and the selection."""

    procs: int
    timeout: str
    kubeconfig: Path
    report_dir: Path
    context: str | None = None
    kubectl: Path | None = None
    progress_url: str | None = None


def ginkgo_argv(binaries: Binaries, selection: Selection, run: Invocation) -> list[str]:
    """The argv list (never a shell string) for one run of the suite."""
    argv = [
        str(binaries.ginkgo.absolute()),
        f"--procs={run.procs}",
        f"--timeout={run.timeout}",
        "--no-color",
    ]
    argv += [f"--focus={focus}" for focus in selection.focus]
    argv += [f"--skip={skip}" for skip in selection.skip]
    if selection.label_filter:
        argv.append(f"--label-filter={selection.label_filter}")
    argv += [
        str(binaries.e2e_test.absolute()),
        "--",
        "--provider=skeleton",
        f"--kubeconfig={run.kubeconfig.absolute()}",
        f"--report-dir={run.report_dir.absolute()}",
        "--disable-log-dump=true",
    ]
    if run.context:
        argv.append(f"--context={run.context}")
    if run.kubectl is not None:
        argv.append(f"--kubectl-path={run.kubectl.absolute()}")
    if run.progress_url:
        argv.append(f"--progress-report-url={run.progress_url}")
    return argv
