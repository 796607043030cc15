"""The Go modules we generate to build upstream binaries from their published modules.

``k8s.io/kubernetes`` cannot be required as-is: its go.mod replaces every ``k8s.io/*`` staging
module with a path inside its own repository, and replace directives of a dependency are ignored,
leaving those modules at ``v0.0.0``. The fix upstream documents is to repeat the block in the
consuming module, pinning each staging module to the release's ``v0.<minor>.<patch>``. The list
of staging modules is read from the release's own go.mod, never hard-coded, so new ones are
picked up with each release.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bootstrap.upstream.versions import KUBERNETES_MODULE, staging_version, version_parts

K8S_MODULE_NAME = "kubeadm-verify.local/k8sbuild"
E2E_MODULE_NAME = "kubeadm-verify.local/e2ebuild"
ETCD_MODULE_NAME = "kubeadm-verify.local/etcdbuild"

_REPLACE_LINE = re.compile(r"^(\S+)(?:\s+\S+)?\s+=>\s+(\S+)(?:\s+\S+)?$")
_GO_LINE = re.compile(r"^go\s+(\d+\.\d+(?:\.\d+)?)\s*$", re.M)


def _strip_comment(line: str) -> str:
    return line.split("//", 1)[0].strip()


def replace_directives(gomod: str) -> list[tuple[str, str]]:
    """(old, new) module paths of every replace directive, in block or single-line form."""
    found: list[tuple[str, str]] = []
    in_block = False
    for raw in gomod.splitlines():
        line = _strip_comment(raw)
        if in_block:
            if line == ")":
                in_block = False
            elif (match := _REPLACE_LINE.match(line)) is not None:
                found.append((match.group(1), match.group(2)))
        elif line in ("replace (", "replace("):
            in_block = True
        elif line.startswith("replace "):
            match = _REPLACE_LINE.match(line[len("replace ") :].strip())
            if match is not None:
                found.append((match.group(1), match.group(2)))
    return found


def staging_modules(gomod: str) -> list[str]:
    """The modules ``k8s.io/kubernetes`` replaces with directories under ``./staging/``."""
    modules = [old for old, new in replace_directives(gomod) if new.startswith("./staging/")]
    if not modules:
        raise ValueError("no replace => ./staging/... directives: not k8s.io/kubernetes's go.mod")
    return sorted(set(modules))


def go_directive(gomod: str, default: str = "1.26.0") -> str:
    """The ``go`` line of a go.mod, so our module asks for the language version upstream does."""
    match = _GO_LINE.search(gomod)
    return match.group(1) if match else default


def kubernetes_gomod(module: str, version: str, kubernetes_gomod_text: str) -> str:
    """A go.mod requiring ``k8s.io/kubernetes@version`` with every staging module pinned."""
    pin = staging_version(version)
    lines = [
        f"module {module}",
        "",
        f"go {go_directive(kubernetes_gomod_text)}",
        "",
        f"require {KUBERNETES_MODULE} {version}",
        "",
        "replace (",
        *(f"\t{name} => {name} {pin}" for name in staging_modules(kubernetes_gomod_text)),
        ")",
        "",
    ]
    return "\n".join(lines)


def plain_gomod(module: str, go: str, requires: Sequence[tuple[str, str]]) -> str:
    """A go.mod with only direct requirements; ``go mod tidy`` fills in the rest."""
    body = "".join(f"require {path} {version}\n" for path, version in requires)
    return f"module {module}\n\ngo {go}\n\n{body}"


def tools_go(imports: Iterable[str]) -> str:
    """A ``tools`` build-tagged file whose blank imports keep packages in go.mod through tidy."""
    lines = "".join(f'\t_ "{path}"\n' for path in sorted(set(imports)))
    return f"//go:build tools\n\npackage tools\n\nimport (\n{lines})\n"


ETCD_MAIN = """\
// Command etcd is upstream etcd's server entry point, built from its published module.
package main

import (
\t"os"

\t"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
"""


def is_module_import(path: str) -> bool:
    """True for imports outside the standard library (their first element has a dot)."""
    return "." in path.split("/", 1)[0]


def version_ldflags(version: str, build_date: str) -> str:
    """``-ldflags`` that stamp the release into binaries, as upstream's ``hack/lib/version.sh``.

    Both ``component-base/version`` (servers, ``e2e.test``) and ``client-go/pkg/version``
    (kubectl's client side) are stamped so that ``--version`` and ``/version`` tell the truth.
    ``-s -w`` drop symbol tables as release builds do.
    """
    major, minor, _ = version_parts(version)
    values = {
        "gitVersion": version,
        "gitMajor": str(major),
        "gitMinor": str(minor),
        "gitTreeState": "clean",
        "buildDate": build_date,
    }
    flags = ["-s", "-w"]
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [f"-X {package}.{key}={value}" for key, value in values.items()]
    return " ".join(flags)
