"""go.mod generation: every staging module k8s.io/kubernetes replaces is pinned to v0.X.Y."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bootstrap.upstream import gomod

UPSTREAM = """\
// This is a generated file. Do not edit directly.

module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
\tgithub.com/onsi/ginkgo/v2 v2.32.0
\tk8s.io/api v0.0.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/apimachinery => ./staging/src/k8s.io/apimachinery // with a comment
\tk8s.io/streaming => ./staging/src/k8s.io/streaming
\tgithub.com/some/fork v1.0.0 => github.com/other/fork v1.0.1
)

replace k8s.io/kubectl => ./staging/src/k8s.io/kubectl
"""

PROTOTYPE_LDFLAGS = (
    "-s -w -X k8s.io/component-base/version.gitVersion=v1.37.2 "
    "-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 "
    "-X k8s.io/component-base/version.gitTreeState=clean "
    "-X k8s.io/component-base/version.buildDate=2026-10-27T12:01:04Z "
    "-X k8s.io/client-go/pkg/version.gitVersion=v1.37.2 "
    "-X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=37 "
    "-X k8s.io/client-go/pkg/version.gitTreeState=clean "
    "-X k8s.io/client-go/pkg/version.buildDate=2026-10-27T12:01:04Z"
)


def test_staging_modules_come_from_block_and_single_line_replaces() -> None:
    assert gomod.staging_modules(UPSTREAM) == [
        "k8s.io/api",
        "k8s.io/apimachinery",
        "k8s.io/kubectl",
        "k8s.io/streaming",
    ]


def test_a_go_mod_without_staging_replaces_is_refused() -> None:
    with pytest.raises(ValueError, match="staging"):
        gomod.staging_modules("module x\n\ngo 1.26\n")


def test_generated_go_mod_pins_every_staging_module() -> None:
    text = gomod.kubernetes_gomod("example.local/build", "v1.37.2", UPSTREAM)
    lines = [line.strip() for line in text.splitlines()]
    assert "module example.local/build" in lines
    assert "go 1.26.0" in lines
    assert "require k8s.io/kubernetes v1.37.2" in lines
    replaced = dict(gomod.replace_directives(text))
    assert set(replaced) == set(gomod.staging_modules(UPSTREAM))
    for name in replaced:
        assert f"{name} => {name} v0.37.2" in lines
    assert "github.com/some/fork" not in text


def test_pins_follow_the_requested_release() -> None:
    text = gomod.kubernetes_gomod("m", "v1.36.4", UPSTREAM)
    assert "k8s.io/api => k8s.io/api v0.36.4" in text
    assert "require k8s.io/kubernetes v1.36.4" in text


def test_real_kubernetes_go_mod_pins_all_staging_modules() -> None:
    """Against the release's own go.mod when the module cache holds it (no network here)."""
    cache = Path(os.environ.get("GOMODCACHE", Path.home() / "go" / "pkg" / "mod"))
    upstream = cache / "k8s.io" / "kubernetes@v1.37.2" / "go.mod"
    if not upstream.is_file():
        pytest.skip(f"{upstream} is not in the Go module cache")
    text = gomod.kubernetes_gomod("m", "v1.37.2", upstream.read_text())
    modules = gomod.staging_modules(upstream.read_text())
    assert len(modules) >= 30
    assert {"k8s.io/api", "k8s.io/client-go", "k8s.io/kubectl", "k8s.io/apiserver"} <= set(modules)
    assert all(f"\t{name} => {name} v0.37.2\n" in text for name in modules)


def test_tools_file_keeps_packages_for_tidy() -> None:
    text = gomod.tools_go(["b/cmd", "a/cmd", "b/cmd"])
    assert text.startswith("//go:build tools\n\npackage tools\n")
    assert text.count('_ "b/cmd"') == 1
    assert text.index('"a/cmd"') < text.index('"b/cmd"')


def test_ldflags_are_exactly_those_the_build_cache_was_warmed_with() -> None:
    assert gomod.version_ldflags("v1.37.2", "2026-10-27T12:01:04Z") == PROTOTYPE_LDFLAGS


def test_go_directive_and_plain_gomod() -> None:
    assert gomod.go_directive(UPSTREAM) == "1.26.0"
    assert gomod.go_directive("module x\n") == "1.26.0"
    text = gomod.plain_gomod("m", "1.26", [("go.etcd.io/etcd/server/v3", "v3.7.0")])
    assert text == "module m\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 v3.7.0\n"


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("fmt", False),
        ("path/filepath", False),
        ("go.yaml.in/yaml/v2", True),
        ("k8s.io/kubernetes/test/e2e/apps", True),
    ],
)
def test_standard_library_imports_are_told_apart(path: str, module: bool) -> None:
    assert gomod.is_module_import(path) is module
