"""It catches what is broken: clusters misconfigured on purpose fail the right tests, only those.

Each fault is a kubeadm v1beta4 configuration (``extraArgs`` of one component) that
``kubeadm-verify cluster --up --config`` brings up, then runs the areas the fault can touch.
Every other test of those areas must pass. With ``KUBEADM_VERIFY_WRITE_CATCHES=<path>`` the
observed table (fault → failing tests) is written there as Markdown (``conformance/CATCHES.md``).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conformance.conftest import Run, run_cli

pytestmark = pytest.mark.integration
KUBEADM_CONTROLLERS = "*,bootstrapsigner,tokencleaner"  # kubeadm's own --controllers


@dataclass(frozen=True)
class Fault:
    name: str
    what: str
    component: str  # apiServer | controllerManager
    args: tuple[tuple[str, str], ...]
    focus: str
    expected: frozenset[str]
    init: str = ""  # an InitConfiguration, where the fault needs one to come up at all
    note: str = ""
    files: tuple[tuple[str, str], ...] = ()  # written next to the config; {dir} in args

    def config(self, folder: Path) -> str:
        for name, text in self.files:
            (folder / name).write_text(textwrap.dedent(text))
        extra = "\n".join(f"  - name: {name}\n    value: \"{value.format(dir=folder)}\""
                          for name, value in self.args)
        text = textwrap.dedent("""\
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            {component}:
              extraArgs:
            {extra}
            """).format(component=self.component, extra=extra)
        return text + (f"---\n{textwrap.dedent(self.init)}" if self.init else "")


def controllers(change: str) -> tuple[tuple[str, str], ...]:
    return (("controllers", f"{KUBEADM_CONTROLLERS},{change}"),)


AUTH_ONLY_TOKEN = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
- groups: [system:bootstrappers:kubeadm-verify:auth-only]
  usages: [authentication]
"""

ALWAYS_ALLOW = """\
apiVersion: apiserver.config.k8s.io/v1
kind: AuthorizationConfiguration
authorizers:
- type: AlwaysAllow
  name: alwaysallow
"""

HEALTH_ONLY_ANONYMOUS = """\
apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
  - path: /livez
  - path: /readyz
  - path: /healthz
"""

FAULTS = [
    Fault("gc-off", "garbage collector off", "controllerManager",
          controllers("-garbage-collector-controller"), "^(api-machinery|apps)/",
          frozenset({"api-machinery/gc-background", "api-machinery/gc-orphan",
                     "api-machinery/gc-foreground"})),
    Fault("no-bootstrapsigner", "bootstrap signer off (`controllers=*,tokencleaner`)",
          "controllerManager", (("controllers", "*,tokencleaner"),), "^kubeadm/",
          frozenset({"kubeadm/cluster-info", "kubeadm/bootstrap-signer"}),
          init=AUTH_ONLY_TOKEN,
          note="the init token is made authentication-only, else the bring-up itself waits "
               "forever for cluster-info to be signed"),
    Fault("always-allow", "authorizer too permissive (AlwaysAllow)", "apiServer",
          (("authorization-config", "{dir}/authorization.yaml"),), "^(auth|kubeadm)/",
          frozenset({"auth/rbac-allow-deny", "auth/anonymous-limited",
                     "kubeadm/bootstrap-token-auth", "kubeadm/bootstrap-signer"}),
          files=(("authorization.yaml", ALWAYS_ALLOW),),
          note="an AuthorizationConfiguration whose one authorizer is AlwaysAllow; the flag "
               "`authorization-mode=AlwaysAllow` also makes kube-apiserver turn anonymous "
               "authentication off, and then the local bring-up cannot come up (see below)"),
    Fault("token-auth-off", "bootstrap-token authentication off", "apiServer",
          (("enable-bootstrap-token-auth", "false"),), "^(auth|kubeadm)/",
          frozenset({"kubeadm/bootstrap-token-auth"})),
    Fault("anonymous-off", "anonymous authentication off but for health checks", "apiServer",
          (("authentication-config", "{dir}/authentication.yaml"),), "^(auth|kubeadm)/",
          frozenset({"kubeadm/cluster-info-anonymous"}),
          files=(("authentication.yaml", HEALTH_ONLY_ANONYMOUS),),
          note="an AuthenticationConfiguration allowing anonymous requests to /livez, /readyz "
               "and /healthz only; `anonymous-auth=false` cannot come up locally (see below)"),
    Fault("no-tokencleaner", "token cleaner off (`controllers=*,bootstrapsigner`)",
          "controllerManager", (("controllers", "*,bootstrapsigner"),), "^kubeadm/",
          frozenset({"kubeadm/token-cleaner"})),
    Fault("no-csr-signing", "CSR signing controller off", "controllerManager",
          controllers("-certificatesigningrequest-signing-controller"), "^auth/",
          frozenset({"auth/csr-signing"})),
    Fault("no-root-ca-publisher", "root CA publisher off", "controllerManager",
          controllers("-root-ca-certificate-publisher-controller"), "^(auth|kubeadm)/",
          frozenset({"auth/kube-root-ca", "auth/csr-signing", "kubeadm/ca-pin"})),
    Fault("no-quota-limits-admission", "LimitRanger and ResourceQuota admission off",
          "apiServer", (("disable-admission-plugins", "LimitRanger,ResourceQuota"),),
          "^(api-machinery|scheduling)/",
          frozenset({"api-machinery/resource-quota", "scheduling/limit-range"})),
    Fault("no-endpointslices", "EndpointSlice controller off", "controllerManager",
          controllers("-endpointslice-controller"), "^network/",
          frozenset({"network/endpointslices", "network/endpointslices-follow-pods"})),
    Fault("no-daemonsets", "DaemonSet controller off", "controllerManager",
          controllers("-daemonset-controller"), "^apps/",
          frozenset({"apps/daemonset-placement"})),
]

OBSERVED: dict[str, Run] = {}


@pytest.fixture(scope="module", autouse=True)
def catch_table() -> Iterator[None]:
    yield
    target = os.environ.get("KUBEADM_VERIFY_WRITE_CATCHES")
    if target and OBSERVED:
        Path(target).write_text(render(OBSERVED))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _first_line(message: str) -> str:
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line.removeprefix("AssertionError: ")[:160]


def render(observed: dict[str, Run]) -> str:
    """The catch table: per fault, what failed (and why, in the test's own words)."""
    lines = [
        "# What the Standard Base catches",
        "",
        "Generated by `tests/integration/conformance/test_catches.py` from real runs "
        "(`KUBEADM_VERIFY_WRITE_CATCHES=conformance/CATCHES.md pytest -m integration "
        "tests/integration/conformance/test_catches.py`). Each row is a local cluster brought "
        "up by `kubeadm-verify cluster --up --config <fault>.yaml`, a kubeadm v1beta4 "
        "ClusterConfiguration with one component's `extraArgs` set as shown, against which the "
        "areas the fault can touch run (`--focus`). Every other test of those areas passed, or "
        "was skipped for want of a real kubelet, DNS or a control-plane node.",
        "",
        "| fault | extraArgs | focus | failing tests | other tests |",
        "|---|---|---|---|---|",
    ]
    notes: list[str] = []
    reasons: list[str] = []
    for fault in FAULTS:
        run = observed.get(fault.name)
        if run is None:
            continue
        checks = {c["id"]: c for c in run.results["checks"]}
        failing = sorted(run.by_status("fail") + run.by_status("error"))
        args = ", ".join(f"`{fault.component}: {n}={v.format(dir='.')}`" for n, v in fault.args)
        what = fault.what
        if fault.note:
            notes.append(f"[{len(notes) + 1}] {fault.what}: {fault.note}.")
            what += f" [{len(notes)}]"
        lines.append(f"| {_cell(what)} | {_cell(args)} | `{_cell(fault.focus)}` | "
                     f"{'<br>'.join(f'`{t}`' for t in failing) or 'none'} | "
                     f"{len(run.by_status('pass'))} pass, {len(run.by_status('skip'))} skip |")
        reasons.append(f"- **{fault.what}**")
        reasons += [f"  - `{t}`: {_first_line(checks[t]['message'])}" for t in failing]
    lines += ["", *notes, "", "## Why they failed (the first line of each failure)", "",
              *reasons, ""]
    for name, text in {f.name: f.files for f in FAULTS if f.files}.items():
        for file_name, content in text:
            lines += [f"`{file_name}` ({name}):", "", "```yaml", textwrap.dedent(content).strip(),
                      "```", ""]
    lines += [
        "A healthy cluster (no `extraArgs`) passes every test of every area: "
        "`tests/integration/conformance/test_tier.py`.",
        "",
        "Not in the table: `apiServer: anonymous-auth=false`, and "
        "`authorization-mode=AlwaysAllow` (with which kube-apiserver switches anonymous "
        "authentication off as well). The local bring-up polls kube-apiserver's `/livez` and "
        "`/readyz` without credentials, so such a cluster never comes up here (kubeadm polls "
        "them as admin); the two rows above with configuration files cover the same faults.",
        "",
    ]
    return "\n".join(lines)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_misconfigured_cluster_fails_the_right_tests(fault: Fault, tmp_path: Path) -> None:
    config = tmp_path / f"{fault.name}.yaml"
    config.write_text(fault.config(tmp_path))
    run = run_cli("--up", "--config", str(config), "--focus", fault.focus,
                  output=tmp_path / "out")
    assert run.code in (0, 1), run.stderr[-3000:]
    OBSERVED[fault.name] = run
    failing = set(run.by_status("fail") + run.by_status("error"))
    messages = {c["id"]: c["message"] for c in run.results["checks"] if c["id"] in failing}
    assert failing == fault.expected, f"failing: {messages}"
    assert run.code == 1
    assert run.by_status("pass"), "nothing else passed"
