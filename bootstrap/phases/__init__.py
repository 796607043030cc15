"""``kubeadm init``'s phases as data: names, order, what each needs and makes, and its body.

The list is kubeadm v1.37's ``kubeadm init`` workflow less what needs a kubelet (kubelet-start,
kubelet-finalize) or a second control plane (upload-certs). Any phase runs alone
(``kubeadm-verify phase certs/ca``); a parent name, or ``<parent>/all``, runs its sub-phases in
order. A phase failure is reported as kubeadm reports it: ``error execution phase <name>: ...``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bootstrap.kubeadm import components
from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.phases import init as phases_init
from bootstrap.phases.preflight import CheckNode, with_checks
from bootstrap.runtime.state import StateDir
from kubeadm_verify.errors import BootstrapError, UsageError

Log = Callable[[str], None]
PhaseRun = Callable[[BootstrapConfig, StateDir, Log], None]


@dataclass(frozen=True)
class Phase:
    """One runnable step; ``needs``/``makes`` name files or facts, for readers and tools."""

    name: str
    description: str
    run: PhaseRun
    needs: tuple[str, ...] = ()
    makes: tuple[str, ...] = ()
    uses_api: bool = False

    @property
    def starts_processes(self) -> bool:
        """Whether the phase runs an upstream binary (so needs the bin dir first)."""
        return any(made.startswith("process:") for made in self.makes)

    @property
    def parent(self) -> str:
        return self.name.split("/", 1)[0]


def _certs() -> list[Phase]:
    from bootstrap.kubeadm.certspec import CERTS

    phases = [
        Phase(
            f"certs/{spec.name}",
            spec.description,
            phases_init.cert(spec.name),
            needs=(f"pki/{spec.ca_name}",) if spec.ca_name else (),
            makes=(f"pki/{spec.base_name}.crt", f"pki/{spec.base_name}.key"),
        )
        for spec in CERTS
    ]
    phases.append(
        Phase(
            "certs/sa",
            "Generate a private key for signing service account tokens along with its public key",
            phases_init.cert("sa"),
            makes=("pki/sa.key", "pki/sa.pub"),
        )
    )
    return phases


_KUBECONFIGS = (
    ("admin", "Generate a kubeconfig file for the admin to use and for kubeadm itself"),
    ("super-admin", "Generate a kubeconfig file for the super-admin"),
    (
        "kubelet",
        "Generate a kubeconfig file for the kubelet to use *only* for cluster "
        "bootstrapping purposes",
    ),
    ("controller-manager", "Generate a kubeconfig file for the controller manager to use"),
    ("scheduler", "Generate a kubeconfig file for the scheduler to use"),
)
_CONTROL_PLANE = (
    ("apiserver", components.APISERVER, "Generates the kube-apiserver static Pod manifest"),
    (
        "controller-manager",
        components.CONTROLLER_MANAGER,
        "Generates the kube-controller-manager static Pod manifest",
    ),
    ("scheduler", components.SCHEDULER, "Generates the kube-scheduler static Pod manifest"),
)


def init_phases(check_node: CheckNode | None = None) -> tuple[Phase, ...]:
    """kubeadm v1.37's init order (``kubeadm init --help``), for a control plane of processes;
    ``preflight`` runs the node checks only when ``check_node`` is handed over."""
    return (
        Phase("preflight", "Run pre-flight checks", with_checks(check_node)),
        *_certs(),
        *[
            Phase(
                f"kubeconfig/{name}",
                text,
                phases_init.kubeconfig(name),
                needs=("pki/ca",),
                makes=(f"{name}.conf",),
            )
            for name, text in _KUBECONFIGS
        ],
        Phase(
            "etcd/local",
            "Generate the static Pod manifest file for a local, single-node local etcd instance",
            phases_init.etcd_local,
            needs=("pki/etcd",),
            makes=("manifests/etcd.yaml", "process:etcd"),
        ),
        *[
            Phase(
                f"control-plane/{short}",
                text,
                phases_init.control_plane(component),
                needs=("pki", "*.conf"),
                makes=(f"manifests/{component}.yaml", f"process:{component}"),
            )
            for short, component, text in _CONTROL_PLANE
        ],
        Phase(
            "wait-control-plane",
            "Wait for the control plane to start",
            phases_init.wait_control_plane,
            needs=("process:*",),
        ),
        Phase(
            "upload-config/kubeadm",
            "Upload the kubeadm ClusterConfiguration to a ConfigMap",
            phases_init.upload_kubeadm_config,
            makes=("cm:kube-system/kubeadm-config",),
            uses_api=True,
        ),
        Phase(
            "upload-config/kubelet",
            "Upload the kubelet component config to a ConfigMap",
            phases_init.upload_kubelet_config,
            makes=("cm:kube-system/kubelet-config",),
            uses_api=True,
        ),
        Phase(
            "mark-control-plane",
            "Mark a node as a control-plane",
            phases_init.mark_control_plane,
            uses_api=True,
        ),
        Phase(
            "bootstrap-token",
            "Generates bootstrap tokens used to join a node to a cluster",
            phases_init.bootstrap_token,
            makes=("secret:bootstrap-token-<id>", "cm:kube-public/cluster-info"),
            uses_api=True,
        ),
        Phase(
            "addon/coredns",
            "Install the CoreDNS addon to a Kubernetes cluster",
            phases_init.addon_coredns,
            uses_api=True,
        ),
        Phase(
            "addon/kube-proxy",
            "Install the kube-proxy addon to a Kubernetes cluster",
            phases_init.addon_kube_proxy,
            uses_api=True,
        ),
        Phase(
            "show-join-command",
            "Show the join command for control-plane and worker node",
            phases_init.show_join_command,
            needs=("bootstrap-token",),
        ),
    )


def names(phases: Sequence[Phase] | None = None) -> list[str]:
    return [phase.name for phase in phases or init_phases()]


def select(name: str, phases: Sequence[Phase] | None = None) -> list[Phase]:
    """The phases ``name`` stands for: one phase, or every sub-phase of a parent (``/all``)."""
    available = list(phases or init_phases())
    wanted = name.strip().strip("/")
    if wanted.endswith("/all"):
        wanted = wanted[: -len("/all")]
    exact = [phase for phase in available if phase.name == wanted]
    if exact:
        return exact
    children = [phase for phase in available if phase.parent == wanted]
    if children:
        return children
    parents = list(dict.fromkeys(phase.parent for phase in available))
    raise UsageError(
        f"unknown phase {name!r}; phases: {', '.join(parents)} "
        f"(sub-phases: {', '.join(p.name for p in available if '/' in p.name)})"
    )


def run(
    phases: Iterable[Phase],
    config: BootstrapConfig,
    state: StateDir,
    log: Log,
    skip: Iterable[str] = (),
) -> None:
    """Run ``phases`` in order; a failure names its phase, as kubeadm's workflow runner does."""
    skipped = set(skip)
    announced: set[str] = set()
    for phase in phases:
        if phase.name in skipped or phase.parent in skipped:
            continue
        if phase.parent != phase.name and phase.parent not in announced:
            announced.add(phase.parent)
            _announce(phase.parent, state, log)
        try:
            phase.run(config, state, log)
        except BootstrapError as error:
            raise BootstrapError(f"error execution phase {phase.name}: {error}") from error


def _announce(parent: str, state: StateDir, log: Log) -> None:
    """The line kubeadm's parent phase prints before its sub-phases."""
    if parent == "certs":
        log(f'[certs] Using certificateDir folder "{state.pki}"')
    elif parent == "kubeconfig":
        log(f'[kubeconfig] Using kubeconfig folder "{state.root}"')
    elif parent == "control-plane":
        log(f'[control-plane] Using manifest folder "{state.manifests}"')


__all__ = ["CheckNode", "Phase", "init_phases", "names", "run", "select"]
