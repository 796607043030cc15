"""Waiting for a kubeadm-driven cluster to be usable, within bounds: every node Ready, then
kube-proxy on each and a CoreDNS replica Ready (``nodes.addons``), then CoreDNS answering
through its Service from inside every node (kube-proxy's rules there lead to it): the API's
Service name resolves to its address."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bootstrap.kubeadm.tokens import JWS_KEY_PREFIX
from bootstrap.phases.api import ApiClient, ApiError
from bootstrap.runtime.nodes.addons import wait_addons
from bootstrap.runtime.nodes.joining import node_ready
from bootstrap.runtime.state import StateDir
from kubeadm_verify.access import WaitTimedOut, wait_for
from kubeadm_verify.errors import BootstrapError

READY_TIMEOUT_S = 180.0
ADDONS_TIMEOUT_S = 180.0
DNS_TIMEOUT_S = 60.0
SIGNED_TIMEOUT_S = 120.0
CLUSTER_INFO = "/api/v1/namespaces/kube-public/configmaps/cluster-info"
DIG_TIMEOUT_S = 10.0


def ready_nodes(client: ApiClient, names: list[str]) -> set[str]:
    try:
        items = client.get("/api/v1/nodes").get("items") or []
    except ApiError:
        return set()
    found = {str((n.get("metadata") or {}).get("name")) for n in items if node_ready(n)}
    return found & set(names)


def wait_cluster_info_signed(state: StateDir, token_id: str) -> None:
    """Until the controller-manager's bootstrap signer has signed ``cluster-info`` for the
    token: ``kubeadm join``'s discovery asks every 5 s, so a join started before the signature
    would wait up to that long for nothing."""
    key = f"{JWS_KEY_PREFIX}{token_id}"
    client = ApiClient.from_kubeconfig(state, "admin")

    def signed() -> bool:
        try:
            found = client.get_or_none(CLUSTER_INFO) or {}
        except ApiError:
            return False
        return key in (found.get("data") or {})

    try:
        wait_for(signed, SIGNED_TIMEOUT_S, interval=0.2)
    except WaitTimedOut:
        raise BootstrapError(
            f"cluster-info was not signed for the join token within {SIGNED_TIMEOUT_S:.0f}s: "
            "is the controller-manager running?"
        ) from None
    finally:
        client.close()


def wait_cluster(
    state: StateDir, names: list[str], asker: DnsAsker, domain: str
) -> tuple[float, float]:
    """``time.monotonic()`` when every node was Ready, and when the addons were and CoreDNS
    answered from every node."""
    client = ApiClient.from_kubeconfig(state, "admin")
    try:
        wait_for(lambda: ready_nodes(client, names) == set(names), READY_TIMEOUT_S, interval=0.2)
    except WaitTimedOut:
        missing = sorted(set(names) - ready_nodes(client, names))
        raise BootstrapError(
            f"timed out after {READY_TIMEOUT_S:.0f}s waiting for {', '.join(missing)} to be "
            f"Ready; see the kubelet logs in {state.logs}"
        ) from None
    finally:
        client.close()
    ready = time.monotonic()
    wait_addons(state, names, ADDONS_TIMEOUT_S)
    wait_dns(state, asker, domain)
    return ready, time.monotonic()


class DnsAsker:
    """Asks a DNS server from inside each node's network namespace, with the host's ``dig``."""

    def __init__(self, nsenter: Path, dig: Path, netns: list[Path]) -> None:
        self.nsenter, self.dig, self.netns = nsenter, dig, netns

    def answers(self, netns: Path, server: str, name: str) -> list[str]:
        argv = [str(self.nsenter), f"--net={netns}", "--", str(self.dig), "+short"]
        argv += ["+time=1", "+tries=1", f"@{server}", name]
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=DIG_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return []
        return done.stdout.split() if done.returncode == 0 else []


def wait_dns(state: StateDir, asker: DnsAsker, domain: str) -> None:
    client = ApiClient.from_kubeconfig(state, "admin")
    try:
        dns = client.get("/api/v1/namespaces/kube-system/services/kube-dns")["spec"]["clusterIP"]
        api = client.get("/api/v1/namespaces/default/services/kubernetes")["spec"]["clusterIP"]
    finally:
        client.close()
    name = f"kubernetes.default.svc.{domain}"
    waiting = list(asker.netns)

    def answered() -> bool:
        waiting[:] = [ns for ns in waiting if asker.answers(ns, dns, name) != [api]]
        return not waiting

    try:
        wait_for(answered, DNS_TIMEOUT_S, interval=0.2)
    except WaitTimedOut:
        nodes = ", ".join(ns.name for ns in waiting)
        raise BootstrapError(
            f"CoreDNS at {dns} did not answer {name} from {nodes} within {DNS_TIMEOUT_S:.0f}s"
        ) from None
