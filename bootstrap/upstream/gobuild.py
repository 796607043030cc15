"""Building upstream binaries from their published Go modules, when dl.k8s.io is out of reach.

Each build gets a generated module under ``gobuild/<version>/`` in the cache (see
``bootstrap.upstream.gomod``), tidied once and reused; compile flags are fixed (``CGO_ENABLED=0
-trimpath``, version stamped through ``-ldflags -X``) so that Go's own build cache is shared by
every run, and a rebuild after the first costs a link, not a compile.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bootstrap.upstream import gomod
from bootstrap.upstream.gorun import GoRunner, StatusLine, go_binary
from bootstrap.upstream.versions import (
    E2E_PACKAGE,
    ETCD_MODULE,
    GINKGO_PACKAGE,
    GINKGO_VERSION,
    KUBERNETES_MODULE,
    KWOK_PACKAGE,
    KWOK_VERSION,
    SERVER_BINARIES,
    gobuild_dir,
)
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.pins import release_pins

SEED_STAMP = ".seed"


@dataclass(frozen=True)
class ModuleInfo:
    """What the module proxy says about one module version."""

    gomod: str
    time: str


@dataclass(frozen=True)
class GoBuild:
    """The builds of one Kubernetes release, sharing its module dirs and build log."""

    version: str
    root: Path
    runner: GoRunner
    go: str

    @classmethod
    def for_version(cls, version: str, status: StatusLine | None = None) -> GoBuild:
        root = gobuild_dir(version)
        return cls(version, root, GoRunner(root / "build.log", status or StatusLine()), go_binary())

    def module_info(self, module: str, version: str) -> ModuleInfo:
        """Fetch (or find in the module cache) a module's go.mod and its publication time."""
        self.root.mkdir(parents=True, exist_ok=True)
        argv = [self.go, "mod", "download", "-json", f"{module}@{version}"]
        what = f"go mod download {module}@{version}"
        text = self.runner.output(what, argv, self.root, check=False)
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise BootstrapError(f"{what} failed (log: {self.runner.log})") from exc
        if data.get("Error"):  # go's message spans lines; the CLI shows one
            raise BootstrapError(f"{what}: {' '.join(str(data['Error']).split())}")
        try:
            info = json.loads(Path(data["Info"]).read_text())
            return ModuleInfo(Path(data["GoMod"]).read_text(), str(info["Time"]))
        except (ValueError, KeyError, OSError) as exc:
            raise BootstrapError(f"{what}: unexpected answer: {exc}") from exc

    def ldflags(self) -> str:
        """Release stamping; the build date is the tag's time, so rebuilds are identical."""
        info = self.module_info(KUBERNETES_MODULE, self.version)
        return gomod.version_ldflags(self.version, info.time)

    def _prepare(
        self, name: str, files: Mapping[str, str], after_tidy: Callable[[Path], None] | None = None
    ) -> Path:
        """Write a module's seed files and tidy it, unless the same seed was tidied before."""
        directory = self.root / name
        seed = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
        stamp = directory / SEED_STAMP
        if stamp.exists() and stamp.read_text() == seed and (directory / "go.sum").exists():
            return directory
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        for filename, content in files.items():
            (directory / filename).write_text(content)
        self.runner.run(f"go mod tidy ({name})", [self.go, "mod", "tidy"], directory)
        if after_tidy is not None:
            after_tidy(directory)
        stamp.write_text(seed)
        return directory

    def _kubernetes_files(self, module: str, imports: Sequence[str]) -> dict[str, str]:
        upstream = self.module_info(KUBERNETES_MODULE, self.version).gomod
        return {
            "go.mod": gomod.kubernetes_gomod(module, self.version, upstream),
            "tools.go": gomod.tools_go(imports),
        }

    def kubernetes_module(self) -> Path:
        imports = [f"{KUBERNETES_MODULE}/cmd/{name}" for name in SERVER_BINARIES]
        return self._prepare("k8s", self._kubernetes_files(gomod.K8S_MODULE_NAME, imports))

    def e2e_module(self) -> Path:
        """The e2e package's module also needs its test-only imports, which tidy skips for
        dependencies; they are read with ``go list`` and added to tools.go, then tidied again."""
        files = self._kubernetes_files(gomod.E2E_MODULE_NAME, [E2E_PACKAGE])
        return self._prepare("e2e", files, self._add_test_imports)

    def _add_test_imports(self, directory: Path) -> None:
        template = '{{join .TestImports "\\n"}}\n{{join .XTestImports "\\n"}}'
        argv = [self.go, "list", "-e", "-f", template, E2E_PACKAGE]
        listed = self.runner.output("go list test imports of e2e", argv, directory).split()
        imports = [E2E_PACKAGE, *(path for path in listed if gomod.is_module_import(path))]
        (directory / "tools.go").write_text(gomod.tools_go(imports))
        self.runner.run("go mod tidy (e2e test imports)", [self.go, "mod", "tidy"], directory)

    @property
    def etcd_version(self) -> str:
        """The etcd this release's kubeadm pins (``DefaultEtcdVersion``): built beside it."""
        return release_pins(self.version).etcd_version

    def etcd_module(self) -> Path:
        etcd = self.etcd_version
        upstream = self.module_info(ETCD_MODULE, etcd).gomod
        files = {
            "go.mod": gomod.plain_gomod(
                gomod.ETCD_MODULE_NAME, gomod.go_directive(upstream), [(ETCD_MODULE, etcd)]
            ),
            "main.go": gomod.ETCD_MAIN,
        }
        return self._prepare("etcd", files)

    def build_kubernetes(
        self, out: Path, names: Sequence[str] = SERVER_BINARIES
    ) -> dict[str, float]:
        """One ``go build`` per binary, so the log shows what each one cost."""
        module, flags = self.kubernetes_module(), self.ldflags()
        times: dict[str, float] = {}
        for name in names:
            argv = [
                self.go,
                "build",
                "-trimpath",
                "-ldflags",
                flags,
                "-o",
                str(out / name),
                f"{KUBERNETES_MODULE}/cmd/{name}",
            ]
            times[name] = self.runner.run(f"go build {name} {self.version}", argv, module)
        return times

    def build_etcd(self, out: Path) -> float:
        argv = [self.go, "build", "-trimpath", "-o", str(out / "etcd"), "."]
        return self.runner.run(f"go build etcd {self.etcd_version}", argv, self.etcd_module())

    def _install(self, package: str, version: str, out: Path) -> float:
        """``go install pkg@version`` builds with the tool's own go.mod, exactly as released."""
        self.root.mkdir(parents=True, exist_ok=True)
        argv = [self.go, "install", "-trimpath", f"{package}@{version}"]
        name = package.rsplit("/", 1)[-1]
        return self.runner.run(
            f"go install {name} {version}", argv, self.root, {"GOBIN": str(out.resolve())}
        )

    def build_kwok(self, out: Path) -> float:
        return self._install(KWOK_PACKAGE, KWOK_VERSION, out)

    def build_ginkgo(self, out: Path) -> float:
        return self._install(GINKGO_PACKAGE, GINKGO_VERSION, out)

    def build_e2e_test(self, out: Path) -> float:
        """``e2e.test`` as upstream's release builds it: a compiled test binary, stamped."""
        module, flags = self.e2e_module(), self.ldflags()
        argv = [
            self.go,
            "test",
            "-c",
            "-trimpath",
            "-ldflags",
            flags,
            "-o",
            str(out / "e2e.test"),
            E2E_PACKAGE,
        ]
        return self.runner.run(f"go test -c e2e.test {self.version}", argv, module)
