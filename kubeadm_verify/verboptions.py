"""Every verb, declared once: what it does, its options (each with help text), its examples.

An option two verbs share is one declaration used by both (``FOCUS`` for ``cluster`` and
``e2e``, ``NAME`` for every verb that names a local cluster); where the same word means another
setting (``cluster --list`` lists tests, ``node --list`` checks), it is declared apart. The
tiers' pytest plugins take the same declarations under their prefixes (``--kv-focus`` is
``FOCUS``), and the options only a plugin has are declared here too, so that every option of the
tool comes from this table (``tests/unit/core/test_declarations.py`` fails on one that does
not). argparse's command line is built from ``VERBS`` by ``kubeadm_verify.cli.parser``.
"""

from __future__ import annotations

from kubeadm_verify.options import NODE_OPTIONS, OUTPUT_DIR, Option
from kubeadm_verify.pins import KUBERNETES_VERSION

# -- shared by the checking verbs -----------------------------------------------------------------

KUBECONFIG = Option(
    "kubeconfig",
    "the cluster's kubeconfig (as kubectl: $KUBECONFIG, ~/.kube/config, in-cluster)",
    metavar="PATH",
)
CONTEXT = Option("context", "the kubeconfig context to use (its current-context)", metavar="NAME")
FOCUS = Option("focus", "run only tests whose id matches this regex", metavar="REGEX")
SKIP = Option("skip", "skip tests whose id matches this regex", metavar="REGEX")
FORMAT = Option(
    "format",
    "what stdout shows: a line per test, or results.json",
    choices=("text", "json"),
    default="text",
)

# -- shared by the verbs that bring up or name a local cluster ----------------------------------

NAME = Option("name", "the local cluster's name (kubeadm-verify)", default="kubeadm-verify")
STATE_DIR = Option(
    "state-dir", "where its files live (~/.cache/kubeadm-verify/clusters/NAME)", metavar="DIR"
)
BRING_UP_CONFIG = Option(
    "config",
    "kubeadm configuration (v1beta4) of the cluster brought up (InitConfiguration, "
    "ClusterConfiguration, ...)",
    metavar="FILE",
)
PINNED_KUBEADM = "pinned"
"""``--kubeadm`` given alone: the pinned kubeadm drives the cluster."""
KUBEADM = Option(
    "kubeadm",
    "bring the cluster up with the real kubeadm binary: init, join, reset on down; the pinned "
    "one, or the kubeadm at PATH",
    alone=PINNED_KUBEADM,
    metavar="PATH",
)
CONTROL_PLANES = Option(
    "control-planes",
    "N control-plane nodes behind a load balancer, stacked etcd (1; with --kubeadm)",
    default=1,
    number=True,
    metavar="N",
)
REAL_NODES = Option(
    "nodes",
    "N real worker nodes to join, each a kubelet in its own network namespace, besides the "
    "control-plane node (0)",
    default=0,
    number=True,
    metavar="N",
)
RELEASE = Option(
    "kubernetes-version",
    f"the Kubernetes release (the pinned one, {KUBERNETES_VERSION})",
    metavar="vX.Y.Z",
)
MIRROR = Option(
    "mirror",
    "where release files and their checksums are fetched (https://dl.k8s.io)",
    default="https://dl.k8s.io",
    metavar="URL",
)

ALLOWED_NOT_READY_NODES = Option(
    "allowed-not-ready-nodes",
    "N nodes that may be NotReady (down for maintenance, or lost on purpose), as the upstream "
    "e2e suite's flag of that name: they pass with a warning and hold no test pod (0)",
    default=0,
    number=True,
    metavar="N",
)

# -- each verb's options, in the order its --help lists them ------------------------------------

CLUSTER_OPTIONS = (
    KUBECONFIG,
    CONTEXT,
    Option("up", "bring up a local cluster to verify", flag=True),
    BRING_UP_CONFIG,
    FOCUS,
    SKIP,
    Option("parallel", "run N tests at once (1)", default=1, number=True, metavar="N"),
    ALLOWED_NOT_READY_NODES,
    FORMAT,
    Option("list", "list the tests and exit", flag=True),
    Option(
        "cleanup", "delete what interrupted earlier runs left in the cluster, and exit", flag=True
    ),
    OUTPUT_DIR,
)

E2E_OPTIONS = (
    KUBECONFIG,
    CONTEXT,
    Option(
        "mode",
        "quick: one pod spec; standard-base: 26 cheap specs; conformance: every "
        "[Conformance] spec in parallel; certified: serially, as a CNCF submission (quick)",
        choices=("quick", "standard-base", "conformance", "certified"),
        default="quick",
    ),
    Option(
        "kubernetes-version",
        "the e2e.test release to run (the server's /version)",
        metavar="vX.Y.Z",
    ),
    MIRROR,
    Option(
        "test-package",
        "a local kubernetes-test tarball instead of a download (air-gapped)",
        metavar="FILE",
    ),
    Option(
        "test-package-sha256",
        "the --test-package's SHA-256, checked before anything is unpacked",
        metavar="HEX",
    ),
    FOCUS,
    SKIP,
    Option("parallel", "ginkgo processes (the mode's own number)", number=True, metavar="N"),
    Option("timeout", "suite timeout (the mode's default)", metavar="DURATION"),
    Option(
        "download-timeout",
        "deadline for the whole test package download: checksum, headers and body (30m)",
        default="30m",
        metavar="DURATION",
    ),
    Option("dry-run", "print the specs the run would select, and exit", flag=True),
    FORMAT,
    OUTPUT_DIR,
)

UP_OPTIONS = (
    NAME,
    STATE_DIR,
    BRING_UP_CONFIG,
    RELEASE,
    Option(
        "simulated-nodes",
        "N nodes simulated by kwok: they run no pod (0)",
        default=0,
        number=True,
        metavar="N",
    ),
    REAL_NODES,
    Option("free-ports", "free ports instead of kubeadm's fixed ones (6443, 2379, ...)", flag=True),
    KUBEADM,
    CONTROL_PLANES,
)

DOWN_OPTIONS = (NAME, STATE_DIR)

UPGRADE_OPTIONS = (
    NAME,
    STATE_DIR,
    Option(
        "to",
        "the release to upgrade to (the pinned one, " + KUBERNETES_VERSION + ")",
        metavar="vX.Y.Z",
    ),
    Option(
        "kubeadm",
        "the new release's kubeadm (the pinned build of the --to release)",
        metavar="PATH",
    ),
    Option(
        "no-workload",
        "do not run the workload that must keep answering through the upgrade",
        flag=True,
    ),
    Option(
        "patches",
        "kubeadm patches the upgrade applies, as kubeadm upgrade reads a patches directory "
        "(TARGET[suffix][+json|+merge|+strategic].json|yaml)",
        metavar="DIR",
    ),
    Option(
        "upgrade-manifests-timeout",
        "how long kubeadm waits for each static pod it replaces before it rolls the control "
        "plane back: its timeouts.upgradeManifests (5m)",
        metavar="DURATION",
    ),
    Option(
        "no-etcd-upgrade",
        "leave etcd at its version, as kubeadm upgrade's --etcd-upgrade=false",
        flag=True,
    ),
    FORMAT,
    OUTPUT_DIR,
)

JOIN_OPTIONS = (
    NAME,
    STATE_DIR,
    Option("nodes", "how many real worker nodes to join (1)", default=1, number=True, metavar="N"),
)

PHASE_OPTIONS = (
    Option(
        "phase",
        "a kubeadm init phase, as kubeadm names it (certs/apiserver, ...)",
        positional=True,
        metavar="PHASE[/SUBPHASE]",
    ),
    NAME,
    STATE_DIR,
    BRING_UP_CONFIG,
)

BINARIES_OPTIONS = (
    RELEASE,
    Option(
        "source",
        "download checksummed releases, build from the Go modules, or download and build "
        "what cannot be downloaded (auto)",
        choices=("auto", "download", "build"),
        default="auto",
    ),
    MIRROR,
)


class Verb:
    """A verb as ``--help`` shows it: its one line, its options, and examples of its use."""

    __slots__ = ("examples", "options", "summary")

    def __init__(
        self, summary: str, options: tuple[Option, ...], examples: tuple[str, ...]
    ) -> None:
        self.summary, self.options, self.examples = summary, options, examples


VERBS = {
    "node": Verb(
        "verify this machine (kubeadm preflight and more)",
        NODE_OPTIONS,
        (
            "kubeadm-verify node",
            "kubeadm-verify node --config kubeadm.yaml --ignore-preflight-errors Swap,NumCPU",
            "kubeadm-verify node --root /mnt/image --role worker --format json",
        ),
    ),
    "cluster": Verb(
        "run the Kubernetes Standard Base",
        CLUSTER_OPTIONS,
        (
            "kubeadm-verify cluster --kubeconfig ~/.kube/config --parallel 4",
            "kubeadm-verify cluster --up --focus '^network/'",
            "kubeadm-verify cluster --cleanup",
        ),
    ),
    "e2e": Verb(
        "run the upstream conformance e2e binary",
        E2E_OPTIONS,
        (
            "kubeadm-verify e2e --mode standard-base",
            "kubeadm-verify e2e --mode conformance"
            " --test-package kubernetes-test-linux-amd64.tar.gz \\\n"
            "    --test-package-sha256 <hex>",
        ),
    ),
    "up": Verb(
        "bring up a local cluster; print its admin kubeconfig",
        UP_OPTIONS,
        (
            "kubeadm-verify up --name dev --nodes 2",
            "kubeadm-verify up --name ha --kubeadm --control-planes 3 --nodes 1",
            "kubeadm-verify up --name mine --kubeadm ./_output/bin/kubeadm --nodes 2",
            "kubeadm-verify up --name sim --simulated-nodes 100 --free-ports",
            "export KUBECONFIG=$(kubeadm-verify up)",
        ),
    ),
    "down": Verb("tear a local cluster down", DOWN_OPTIONS, ("kubeadm-verify down --name dev",)),
    "upgrade": Verb(
        "upgrade a kubeadm-driven local cluster with kubeadm, node by node",
        UPGRADE_OPTIONS,
        (
            "kubeadm-verify upgrade --name old --to v1.37.2",
            "kubeadm-verify upgrade --name mine --kubeadm ./_output/bin/kubeadm --format json",
        ),
    ),
    "join": Verb(
        "join real nodes to a running local cluster",
        JOIN_OPTIONS,
        ("kubeadm-verify join --name dev --nodes 1",),
    ),
    "phase": Verb(
        "run one kubeadm init phase",
        PHASE_OPTIONS,
        ("kubeadm-verify phase certs/apiserver --name dev --config kubeadm.yaml",),
    ),
    "binaries": Verb(
        "fetch or build upstream binaries; print the dir",
        BINARIES_OPTIONS,
        ("kubeadm-verify binaries --source build", "BIN=$(kubeadm-verify binaries)"),
    ),
}
"""Every verb by name, in ``VERB_NAMES``' order (``tests/unit/core/test_declarations.py``)."""


# -- the tiers' pytest plugins --------------------------------------------------------------------

STANDARD_BASE_PLUGIN_OPTIONS = (
    FOCUS.prefixed("kv-"),
    SKIP.prefixed("kv-"),
    ALLOWED_NOT_READY_NODES.prefixed("kv-"),
    Option(
        "kv-run-id",
        "label value for the objects made outside test namespaces (default: per session)",
        metavar="ID",
    ),
)
"""``pytest --pyargs conformance.standard_base``'s options (``conformance.standard_base.plugin``):
the cluster verb's selection under the ``--kv-`` prefix, and the run id it labels with."""

FIXTURE_OPTIONS = (
    Option(
        "kv-kubeconfig",
        "use the cluster of this kubeconfig instead of bringing one up",
        metavar="PATH",
    ),
    CONTEXT.prefixed("kv-"),
    Option(
        "kv-existing",
        "use the cluster kubectl would (KUBECONFIG, ~/.kube/config, in-cluster)",
        flag=True,
    ),
    Option(
        "keep-cluster",
        "keep the cluster the fixtures brought up (never)",
        choices=("never", "always", "on-failure"),
        default="never",
    ),
    Option(
        "kv-simulated-nodes",
        "kwok nodes in the cluster the fixtures bring up (2, or 0 when --kv-nodes is given)",
        number=True,
        metavar="N",
    ),
    REAL_NODES.prefixed("kv-"),
    BRING_UP_CONFIG.prefixed("kv-"),
    KUBEADM.prefixed("kv-"),
    CONTROL_PLANES.prefixed("kv-"),
)
"""The cluster fixtures' options (``bootstrap.fixtures``): where a setting is a verb's (the
context, the real nodes, the configuration of the cluster brought up), its declaration under
``--kv-``; ``--kv-kubeconfig`` differs from ``--kubeconfig`` (without it the fixtures bring a
cluster up rather than look where kubectl would), so it is its own."""


__all__ = [
    "BINARIES_OPTIONS",
    "CLUSTER_OPTIONS",
    "DOWN_OPTIONS",
    "E2E_OPTIONS",
    "FIXTURE_OPTIONS",
    "JOIN_OPTIONS",
    "PHASE_OPTIONS",
    "STANDARD_BASE_PLUGIN_OPTIONS",
    "UP_OPTIONS",
    "VERBS",
    "Verb",
]
