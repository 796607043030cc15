"""Where a run's files go under ``--output-dir``, in a shape a CNCF submission can take.

::

    <output>/e2e/junit.xml, results.json      the common report (the core writers)
    <output>/e2e/artifacts/                   ginkgo's --report-dir: junit_01.xml, e2e.log, ...
    <output>/e2e/vX.Y/kubeadm/                e2e.log, junit_01.xml, PRODUCT.yaml, README.md

The ``vX.Y/<product>/`` folder is what a pull request to cncf/k8s-conformance adds; rename
``kubeadm`` to the product's name and fill in PRODUCT.yaml (kept if it exists, so an edited one
survives the next run). Only a ``certified`` run qualifies for a submission; the README says which
mode produced the files. The artifacts folder is emptied of the previous run's ``junit_*.xml`` and
``e2e.log`` first: a stale JUnit read after a killed run would be the worst kind of false pass.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.e2e.version import minor_of

PRODUCT = "kubeadm"
PRODUCT_TEMPLATE = """\
# cncf/k8s-conformance PRODUCT.yaml: fill in every field before submitting.
vendor: YOUR ORGANISATION
name: {product}
version: {version}
website_url: https://example.com/
repo_url: https://example.com/repo
documentation_url: https://example.com/docs
product_logo_url: https://example.com/logo.svg
type: distribution  # distribution | hosted platform | installer
description: One sentence on what the product is.
"""


@dataclass(frozen=True)
class RunLayout:
    tier_dir: Path
    artifacts: Path
    submission: Path

    @property
    def log(self) -> Path:
        return self.artifacts / "e2e.log"

    @property
    def junit(self) -> Path:
        return self.artifacts / "junit_01.xml"


def prepare(output_dir: Path, version: str) -> RunLayout:
    """Create the folders and clear what a previous run left where this one will write."""
    tier_dir = output_dir / "e2e"
    layout = RunLayout(tier_dir, tier_dir / "artifacts", tier_dir / minor_of(version) / PRODUCT)
    layout.artifacts.mkdir(parents=True, exist_ok=True)
    for stale in [*layout.artifacts.glob("junit_*.xml"), layout.log]:
        stale.unlink(missing_ok=True)
    return layout


def keep_for_submission(layout: RunLayout, version: str, mode: str, argv: Sequence[str]) -> None:
    """Copy ``e2e.log`` and ``junit_01.xml`` into ``vX.Y/<product>/`` beside a README."""
    layout.submission.mkdir(parents=True, exist_ok=True)
    for source in (layout.log, layout.junit):
        target = layout.submission / source.name
        if source.exists():
            shutil.copyfile(source, target)
        else:
            target.unlink(missing_ok=True)
    product = layout.submission / "PRODUCT.yaml"
    if not product.exists():
        product.write_text(PRODUCT_TEMPLATE.format(product=PRODUCT, version=version))
    (layout.submission / "README.md").write_text(_readme(version, mode, argv))


def _readme(version: str, mode: str, argv: Sequence[str]) -> str:
    qualifies = (
        "This run used `--mode certified`: every `[Conformance]` spec, no skip."
        if mode == "certified"
        else f"This run used `--mode {mode}`, which does NOT qualify for a submission; "
        "run `kubeadm-verify e2e --mode certified` for one."
    )
    return (
        f"# Conformance results for Kubernetes {version}\n\n{qualifies}\n\n"
        "## Reproduce\n\n1. Bring the cluster up (kubeadm init / join).\n"
        "2. Run:\n\n```\nkubeadm-verify e2e --mode certified --kubeconfig PATH\n```\n\n"
        "It fetches the upstream test package for the server's version, checks its published "
        "checksum, and runs:\n\n```\n" + shlex.join(argv) + "\n```\n"
    )
