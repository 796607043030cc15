"""One reader per kind of input: a scan per door that fails when a second one appears.

YAML has its own scan beside its reader (``test_yamlread``). HTTP, downloads, XML and the
scrubber are checked here by what each module imports or writes: a module that starts reading
HTTP answers, writing XML or masking secrets itself must go through the door, or be added below
with the reason it may not.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("kubeadm_verify", "nodechecks", "conformance", "bootstrap")

HTTP_CLIENTS = ("requests", "urllib3", "http.client", "urllib.request", "httpx", "aiohttp")
HTTP_ALLOWED = {
    "kubeadm_verify/access/rawhttp.py": "the door for answers we read: deadline and size cap",
    "kubeadm_verify/deadline.py": "the overall deadline the doors share",
    "kubeadm_verify/access/connect.py": "sorts urllib3's errors into one line; calls rawhttp",
    "bootstrap/upstream/download.py": "the downloader: one deadline, checksum read capped",
    "bootstrap/upstream/deadline.py": "the downloader's deadline over a requests session",
    "conformance/e2e/fetch.py": "the e2e package through the downloader's deadline",
    "conformance/standard_base/kube.py": "raw calls go through rawhttp; watches bounded",
    "conformance/standard_base/kubeletapi.py": "keeps no body: the status alone",
    "conformance/standard_base/portprobe.py": "a control-plane port's status alone, no body",
    "conformance/standard_base/test_auth.py": "a test asserting the server refuses a request",
    "bootstrap/phases/api.py": "the bootstrap's client of the API server it just started",
    "bootstrap/runtime/health.py": "health probes of processes we started",
    "bootstrap/runtime/nodes/discovery.py": "join discovery, as kubeadm does it",
    "nodechecks/checks/etcd.py": "an external etcd's /health, read with a timeout",
}
XML_ALLOWED = {  # kubeadm_verify/report/junit.py, the one writer, needs no XML library
    "conformance/e2e/junitparse.py": "reads ginkgo's JUnit (junitparser)",
}
XML_LIBRARIES = ("xml", "lxml", "junitparser", "junit_xml")


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            yield str(path.relative_to(REPO)), ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _importers(libraries: tuple[str, ...]) -> set[str]:
    return {
        name
        for name, tree in _modules()
        if any(i == lib or i.startswith(f"{lib}.") for i in _imports(tree) for lib in libraries)
    }


def test_http_answers_are_read_through_the_door() -> None:
    assert _importers(HTTP_CLIENTS) - set(HTTP_ALLOWED) == set()


def test_nothing_reads_an_http_body_whole() -> None:
    """``preload_content=True`` reads a body of any size into memory at once."""
    offenders = [
        name
        for name, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword)
        and node.arg in ("preload_content", "_preload_content")
        and not (isinstance(node.value, ast.Constant) and node.value.value is False)
    ]
    assert offenders == []


def test_xml_is_written_by_the_one_junit_writer() -> None:
    assert _importers(XML_LIBRARIES) - set(XML_ALLOWED) == set()


def test_secrets_are_masked_by_the_one_scrubber() -> None:
    """No module but ``redact`` masks on its own (its mask, ``<redacted``, is its alone)."""
    offenders = [
        name
        for name, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and "<redacted" in node.value
        and name != "kubeadm_verify/redact.py"
    ]
    assert offenders == []


def test_the_scans_find_a_second_door() -> None:
    tree = ast.parse(
        "import requests\nfrom urllib3 import PoolManager\n"
        "r = pool.request('GET', u, preload_content=True)\n"
    )
    assert {"requests", "urllib3"} <= _imports(tree)
    assert any(isinstance(n, ast.keyword) and n.arg == "preload_content" for n in ast.walk(tree))
    assert "kubeadm_verify/access/rawhttp.py" in _importers(HTTP_CLIENTS)
    assert "conformance/e2e/junitparse.py" in _importers(XML_LIBRARIES)
