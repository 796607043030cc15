"""``--source download`` end to end against a local mirror: verified, executable, then run.

The mirror serves tiny stand-ins for the release binaries (scripts that print the version line
a real one prints), so the test checks our path, not dl.k8s.io's content; etcd and kwok are
really built, since dl.k8s.io does not publish them. Runs only where real builds are wanted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.upstream.binaries import ensure_binaries
from bootstrap.upstream.versions import SERVER_BINARIES, goarch
from tests.integration.binaries.heavy import go_build_cache, require_build_tests
from tests.integration.binaries.mirror import Mirror, serving

pytestmark = [pytest.mark.integration, pytest.mark.timeout(3600)]


def stand_in(name: str) -> bytes:
    line = {"kubectl": "Client Version: v1.37.2", "kubeadm": "v1.37.2"}.get(
        name, "Kubernetes v1.37.2"
    )
    return f"#!/bin/sh\necho '{line}'\n".encode()


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serving() as running:
        for name in SERVER_BINARIES:
            path = f"/release/v1.37.2/bin/linux/{goarch()}/{name}"
            running.publish(path, stand_in(name), sha512=name == "kubectl")
        yield running


def test_download_mode_verifies_downloads_and_builds_the_rest(
    mirror: Mirror,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    require_build_tests()
    monkeypatch.setenv("GOCACHE", go_build_cache())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    directory = ensure_binaries("v1.37.2", "download", mirror.url)
    err = capsys.readouterr().err
    assert "etcd and kwok are not published on dl.k8s.io" in err
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["source"] == "download"
    origins = {name: record["origin"] for name, record in manifest["files"].items()}
    assert origins == {
        **dict.fromkeys(SERVER_BINARIES, "download"),
        "etcd": "build",
        "kwok": "build",
    }
    for name in SERVER_BINARIES:
        assert (directory / name).read_bytes() == stand_in(name)
        assert (directory / name).stat().st_mode & 0o777 == 0o755
    assert f"/release/v1.37.2/bin/linux/{goarch()}/kubectl.sha512" in mirror.requested
    requests_before = len(mirror.requested)
    assert ensure_binaries("v1.37.2", "download", mirror.url) == directory
    assert len(mirror.requested) == requests_before  # cached: the mirror is not asked again
