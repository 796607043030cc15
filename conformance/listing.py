"""``kubeadm-verify cluster --list``: the tests, their areas, codenames and needs, no cluster.

The list comes from the same collection a run does (pytest ``--collect-only`` over the package,
``--kv-focus``/``--kv-skip`` applied by the tier's conftest), so what is listed is what would run.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from conformance.marker import Spec, spec_of
from kubeadm_verify.errors import VerifyError

PLUGINS = ("kubeadm_verify.plugin", "bootstrap.fixtures", "pytest_timeout")


@dataclass(frozen=True)
class Entry:
    """A collected test: its marker, and its docstring (what it establishes)."""

    spec: Spec
    doc: str


class _Specs:
    def __init__(self) -> None:
        self.entries: list[Entry] = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.entries = []
        for item in items:
            spec = spec_of(item)
            if spec is not None:
                function = getattr(item, "function", None)
                doc = inspect.getdoc(function) if function is not None else None
                self.entries.append(Entry(spec, doc or ""))


@contextlib.contextmanager
def _no_autoload() -> Iterator[None]:
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved


def collect(args: Sequence[str] = ()) -> list[Spec]:
    """The specs of the tests a run with ``args`` would run, in run order."""
    return [entry.spec for entry in collect_entries(args)]


def collect_entries(args: Sequence[str] = ()) -> list[Entry]:
    """The tests a run with ``args`` would run, in run order, with their docstrings."""
    collector = _Specs()
    ini = resources.files("kubeadm_verify").joinpath("tier.ini")
    package_dir = Path(str(resources.files("conformance")))
    argv = ["-c", str(ini), "--rootdir", str(package_dir), "--confcutdir", str(package_dir),
            *(arg for name in PLUGINS for arg in ("-p", name)),
            "--collect-only", "-q", "--pyargs", "conformance", *args]
    captured = io.StringIO()
    with _no_autoload(), contextlib.redirect_stdout(captured), \
            contextlib.redirect_stderr(captured):
        code = pytest.main(argv, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        lines = [line for line in captured.getvalue().splitlines() if line.strip()]
        raise VerifyError(f"the cluster suite could not be collected: "
                          f"{lines[-1] if lines else code}")
    return collector.entries
