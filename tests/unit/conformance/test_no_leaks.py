"""A failing Standard Base test reports its own message, never API object data or a secret.

pytest's assertion rewriting prints, beside a failed ``assert``, every value the expression
touched: for ``kubeadm/bootstrap-token`` that was the token Secret's data, secret included, and
the runner copied it into results.json and junit.xml. The suite's modules turn rewriting off
(their docstrings carry pytest's marker for that) and every ``assert`` carries a message that
names what failed without repeating a response body or an object's data. These tests hold the
code to that, and show with a real in-process run that the same failure leaks when rewriting
is on and does not when it is off.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from kubeadm_verify.results import Status
from kubeadm_verify.runner import run_tier

PACKAGE = Path(str(resources.files("conformance.standard_base")))
SUITE_MODULES = sorted(PACKAGE.glob("test_*.py"))
PLAIN_MODULES = sorted(p for p in PACKAGE.glob("*.py") if p not in SUITE_MODULES)
# Wrapping a value in one of these keeps its content out of the message (a Status message,
# the keys only, a count).
SAFE_CALLS = {"server_said", "sorted", "len"}
DATA_ATTRIBUTES = {"body", "data", "string_data"}
SECRET = "7f3a9c2e5b1d4068"  # a made-up token secret, planted to be looked for


def _asserts(path: Path) -> list[ast.Assert]:
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Assert)]


def _data_in(expression: ast.AST) -> list[str]:
    """The ``x.body``/``x.data`` (and names holding secrets) a message would print as such."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in SAFE_CALLS:
            return
        if isinstance(node, ast.Attribute) and node.attr in DATA_ATTRIBUTES:
            found.append(ast.unparse(node))
        if isinstance(node, ast.Name) and "secret" in node.id.lower():
            found.append(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(expression)
    return found


def test_the_suite_modules_turn_assertion_rewriting_off() -> None:
    assert len(SUITE_MODULES) >= 8, "the Standard Base's test modules were not found"
    for path in [*SUITE_MODULES, PACKAGE / "conftest.py"]:
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "PYTEST_DONT_REWRITE" in docstring, f"{path.name} lets pytest rewrite its asserts"


@pytest.mark.parametrize("path", [*SUITE_MODULES, *PLAIN_MODULES], ids=lambda p: p.name)
def test_every_assert_says_what_failed_without_the_data(path: Path) -> None:
    bare = [node.lineno for node in _asserts(path) if node.msg is None]
    assert not bare, f"{path.name}: asserts without a message on lines {bare}"
    leaking = {
        node.lineno: _data_in(node.msg)
        for node in _asserts(path)
        if node.msg is not None and _data_in(node.msg)
    }
    assert not leaking, f"{path.name}: messages that print object data or secrets: {leaking}"


MODULE = """
{docstring}
from conformance.standard_base.marker import standard_base


class TokenSecret:
    def __init__(self, data):
        self.id = data["token-id"]
        self.data = data


@standard_base(id="kubeadm/bootstrap-token", needs=["cluster-admin"], timeout=10)
def test_bootstrap_token():
    token = TokenSecret({{"token-id": "abcdef", "token-secret": "{secret}",
                         "usage-bootstrap-authentication": "true"}})
    for usage in ("authentication", "signing"):
        assert token.data.get(f"usage-bootstrap-{{usage}}") == "true", (
            f"token {{token.id}} is not usable for {{usage}}"
        )
"""

API_ERRORS = '''
"""PYTEST_DONT_REWRITE"""
import json

from kubernetes import client

from conformance.standard_base.marker import standard_base


def _error(body):
    error = client.ApiException(status=409, reason="Conflict")
    error.body = json.dumps(body)
    error.headers = {{"Audit-Id": "0000"}}
    return error


@standard_base(id="api-machinery/status-error", timeout=10)
def test_status_error():
    raise _error({{"kind": "Status", "message": "secrets \\"x\\" already exists"}})


@standard_base(id="api-machinery/object-error", timeout=10)
def test_object_error():
    raise _error({{"kind": "Secret", "data": {{"token-secret": "{secret}"}}}})
'''

CONFTEST = '''
"""PYTEST_DONT_REWRITE"""
import pytest

from conformance.standard_base.conftest import (  # noqa: F401 - the tier's hooks and fixtures
    _standard_base_needs, pytest_collection_modifyitems, pytest_configure, pytest_runtest_call,
    pytest_runtest_makereport,
)
from conformance.standard_base.marker import Need
from conformance.standard_base.needs import Needs


@pytest.fixture(scope="session")
def kv_needs():
    return Needs({{need: None for need in Need}})
'''


@pytest.fixture
def token_tier(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A one-test tier failing as ``kubeadm/bootstrap-token`` did, rewriting on or off."""
    name = f"kv_token_tier_{request.node.name.split('[')[-1].rstrip(']')}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "conftest.py").write_text(textwrap.dedent(CONFTEST.format()))
    docstring = '"""PYTEST_DONT_REWRITE"""' if request.param else '"""Rewritten."""'
    (package / "test_token.py").write_text(MODULE.format(docstring=docstring, secret=SECRET))
    (package / "test_api_errors.py").write_text(API_ERRORS.format(secret=SECRET))
    sys.path.insert(0, str(tmp_path))
    try:
        yield name
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m.startswith(name)]:
            del sys.modules[module]


@pytest.mark.parametrize("token_tier", [False, True], indirect=True, ids=["rewritten", "plain"])
def test_a_failed_token_assertion_reports_no_secret(token_tier: str) -> None:
    report = run_tier(
        "cluster",
        token_tier,
        args=["-q"],
        plugins=("conformance.standard_base.plugin", "pytest_timeout"),
    )
    result = next(r for r in report.results if r.id == "kubeadm/bootstrap-token")
    assert result.status is Status.FAIL
    assert "token abcdef is not usable for signing" in result.message
    rewritten = (
        "Rewritten" in (Path(sys.modules[token_tier].__path__[0]) / "test_token.py").read_text()
    )
    if rewritten:  # the leak as it was: pytest's explanation carries the Secret's data
        assert SECRET in result.message
    else:
        assert SECRET not in result.message
        assert result.message == "AssertionError: token abcdef is not usable for signing"


@pytest.mark.parametrize("token_tier", [True], indirect=True, ids=["plain"])
def test_an_api_error_is_one_line_with_the_servers_message_only(token_tier: str) -> None:
    report = run_tier(
        "cluster",
        token_tier,
        args=["-q"],
        plugins=("conformance.standard_base.plugin", "pytest_timeout"),
    )
    by_id = {r.id: r for r in report.results}
    status = by_id["api-machinery/status-error"]
    assert status.status is Status.FAIL
    source = API_ERRORS.format(secret=SECRET).splitlines()
    line = next(i for i, text in enumerate(source, 1) if '"kind": "Status"' in text)
    assert status.message == (
        f'test_api_errors.py:{line}: HTTP 409 Conflict: secrets "x" already exists'
    )
    body = by_id["api-machinery/object-error"]
    assert body.status is Status.FAIL
    assert body.message.startswith("test_api_errors.py:")
    assert body.message.endswith(": HTTP 409 Conflict: (no Status message)")
    assert all(SECRET not in r.message and "Audit-Id" not in r.message for r in report.results)
