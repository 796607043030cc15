"""One reader per kind of input: a scan per door that fails when a second one appears.

YAML has its own scan beside its reader (``test_yamlread``). HTTP, downloads, kubeconfigs, XML
and the scrubber are checked here by what each module imports, reads or writes: a module that
starts reading HTTP answers or kubeconfigs, writing XML or masking secrets itself must go
through the door, or be added below with the reason it may not. The HTTP list is held by an
import contract in pyproject.toml too, so ``lint-imports`` fails on a second client as well.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("kubeadm_verify", "nodechecks", "conformance", "bootstrap")

HTTP_CLIENTS = ("requests", "urllib3", "http.client", "urllib.request", "httpx", "aiohttp")
HTTP_ALLOWED = {
    "kubeadm_verify/access/rawhttp.py": "the door for answers we read: deadline and size cap",
    "kubeadm_verify/deadline.py": "the overall deadline the doors share",
    "kubeadm_verify/access/connect.py": "sorts urllib3's errors into one line; calls rawhttp",
    "kubeadm_verify/access/client.py": "the light client's TLS pool; every exchange via rawhttp",
    "kubeadm_verify/access/typedcalls.py": "the official client's calls: deadline, rawhttp's cap",
    "bootstrap/upstream/download.py": "the downloader: one deadline, checksum read capped",
    "bootstrap/upstream/deadline.py": "the downloader's deadline over a requests session",
    "conformance/e2e/fetch.py": "the e2e package through the downloader's deadline",
    "conformance/standard_base/kube.py": "raw calls go through rawhttp; watches bounded",
    "conformance/standard_base/kubeletapi.py": "keeps no body: the status alone",
    "conformance/standard_base/portprobe.py": "a control-plane port's status alone, no body",
    "conformance/standard_base/test_auth.py": "an issued client certificate's pool; via rawhttp",
    "nodechecks/checks/etcd.py": "an external etcd's /version: its TLS pool, read via rawhttp",
}
XML_ALLOWED = {  # kubeadm_verify/report/junit.py, the one writer, needs no XML library
    "conformance/e2e/junitparse.py": "reads ginkgo's JUnit (junitparser)",
}
XML_LIBRARIES = ("xml", "lxml", "junitparser", "junit_xml")


def _modules() -> Iterator[tuple[str, ast.Module]]:
    yield from _parsed()


@functools.cache
def _parsed() -> tuple[tuple[str, ast.Module], ...]:
    """Every module of the tree, parsed once for all the scans (they only read the trees)."""
    return tuple(
        (str(path.relative_to(REPO)), ast.parse(path.read_text(encoding="utf-8")))
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    )


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


KUBECONFIG_SELECTORS = ("current-context", "contexts")
"""What a kubeconfig parser reads to choose a cluster and a user; writing them is no parse."""


def _reads_key(node: ast.AST, keys: tuple[str, ...]) -> bool:
    """``x["key"]`` read, or ``x.get("key")``."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        return isinstance(node.slice, ast.Constant) and node.slice.value in keys
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in keys
    )


def _kubeconfig_readers() -> set[str]:
    return {
        name
        for name, tree in _modules()
        if any(_reads_key(node, KUBECONFIG_SELECTORS) for node in ast.walk(tree))
    }


def test_kubeconfigs_are_read_by_the_one_loader() -> None:
    """Only ``kubeadm_verify.access`` picks a context out of a kubeconfig (it resolves it as
    kubectl does, exec plugins bounded); everything else is handed a ``Target`` or a client."""
    outside = {n for n in _kubeconfig_readers() if not n.startswith("kubeadm_verify/access/")}
    assert outside == set()


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
    parser = ast.parse("current = config.get('current-context')\nfirst = config['contexts'][0]\n")
    assert sum(_reads_key(n, KUBECONFIG_SELECTORS) for n in ast.walk(parser)) == 2
    writer = ast.parse("config = {'current-context': name, 'contexts': [entry]}\n")
    assert not any(_reads_key(n, KUBECONFIG_SELECTORS) for n in ast.walk(writer))
    assert "kubeadm_verify/access/kubeconfig.py" in _kubeconfig_readers()
