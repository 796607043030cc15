"""The session's last wait for the namespaces its tests deleted says what stopped it, in one
line, and never ends the session as a crash."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

import bootstrap.fixtures as fixtures
from bootstrap.fixtures import _await_namespaces
from bootstrap.fixtures.namespaces import NamespaceReaper


class Reporter:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write_line(self, line: str) -> None:
        self.lines.append(line)


class Config:
    """What the wait reads of ``pytest.Config``: the terminal reporter."""

    def __init__(self) -> None:
        self.reporter = Reporter()
        self.pluginmanager = self

    def get_plugin(self, name: str) -> Reporter | None:
        return self.reporter if name == "terminalreporter" else None


class Core:
    """Our fake of the CoreV1 client: each namespace answers ``read_namespace`` as told."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    def delete_namespace(self, name: str) -> None:
        return None

    def read_namespace(self, name: str) -> object:
        answer = self.answers[name]
        if isinstance(answer, Exception):
            raise answer
        return answer


def _waited(answers: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(fixtures, "NAMESPACE_REAP_TIMEOUT", 0.2)
    reaper = NamespaceReaper(Core(answers), wait=True)
    for name in answers:
        reaper.delete(name)
    config: Any = Config()
    _await_namespaces(config, reaper)
    lines: list[str] = config.reporter.lines
    return lines


def test_namespaces_that_went_are_not_mentioned(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _waited({"kv-a": ApiException(status=404)}, monkeypatch) == []


def test_a_refused_read_is_said_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _waited({"kv-a": ApiException(status=403, reason="Forbidden")}, monkeypatch)
    assert len(lines) == 1
    assert lines[0].startswith("kubeadm-verify: the namespaces the tests deleted were not awaited")
    assert "ApiException" in lines[0] and "403" in lines[0] and "\n" not in lines[0]


def test_namespaces_still_there_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: dict[str, Any] = {f"kv-{n}": object() for n in range(7)}
    answers["kv-gone"] = ApiException(status=404)
    lines = _waited(answers, monkeypatch)
    assert lines == [
        "kubeadm-verify: 7 namespace(s) the tests deleted were still there after 0s: "
        "kv-0, kv-1, kv-2, kv-3, kv-4 and 2 more"
    ]


def test_on_an_xdist_worker_the_line_goes_to_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker's terminal output goes nowhere; its stderr reaches the terminal."""
    config: Any = Config()
    config.workerinput = {"workerid": "gw0"}
    fixtures._report(config, "kubeadm-verify: a line")
    assert capsys.readouterr().err == "kubeadm-verify: a line\n"
    assert config.reporter.lines == []
