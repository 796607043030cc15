"""api-machinery: the API server's aggregator serves an extension API server's group.

As upstream's aggregator spec does (test/e2e/apimachinery/aggregator.go, v1.37.2), the sample API
server (k8s.io/sample-apiserver, the release's own, built here) runs in a pod on a real node with
an etcd beside it, is given kubeadm's delegated authentication and authorisation through RBAC,
and is registered with an APIService. The API server reaches it the way it reaches the suite's
webhooks, through an ExternalName Service naming the pod's address (the control plane may have no
route to the Service range); kube-aggregator's default resolver (``--enable-aggregator-routing``
unset, as kubeadm leaves it) accepts one and verifies the server as ``<service>.<ns>.svc``.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, server_said, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.webhookserver import serving_pair
from conformance.standard_base.workloads import wait_running_ready
from kubeadm_verify.pins import ETCD_IMAGE_TAG, SAMPLE_APISERVER_TAG

SAMPLE_IMAGE = f"kubeadm-verify.local/sample-apiserver:{SAMPLE_APISERVER_TAG}"
ETCD_IMAGE = f"registry.k8s.io/etcd:{ETCD_IMAGE_TAG}"
GROUP, VERSION = "wardle.example.com", "v1alpha1"
API_SERVICE = f"{VERSION}.{GROUP}"
SERVICE = "sample-api"
CERTS = "/apiserver.local.config/certificates"
ETCD_URL = "http://127.0.0.1:2379"
PORT = 443
POD_READY_S = 30.0
AVAILABLE_S = 30.0
"""The aggregator's availability controller checks an APIService on every change and once a
minute; the first check after the Service exists passes within seconds."""
FLUNDERS = f"/apis/{GROUP}/{VERSION}"


@contextmanager
def _granted(kube: Kube, namespace: str, run_id: str) -> Iterator[None]:
    """What upstream grants the sample server's ServiceAccount, while the test runs: delegated
    authentication and authorisation (TokenReview, SubjectAccessReview), the authentication
    ConfigMap in kube-system, and reading namespaces and admission configuration for its
    admission."""
    labels = b.run_labels(run_id)
    subject = [{"kind": "ServiceAccount", "name": "default", "namespace": namespace}]
    rbac, prefix = kube.rbac, f"kv-wardler-{namespace}"

    def bind(name: str, kind: str, role: str) -> dict[str, Any]:
        ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role}
        return {"metadata": b.metadata(name, labels), "roleRef": ref, "subjects": subject}

    read = ["get", "list", "watch"]
    rules = [
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": read},
        {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["*"], "verbs": read},
        {
            "apiGroups": ["flowcontrol.apiserver.k8s.io"],
            "resources": ["prioritylevelconfigurations", "flowschemas"],
            "verbs": read,
        },
    ]
    with ExitStack() as undo:
        name = f"{prefix}-auth-delegator"
        rbac.create_cluster_role_binding(bind(name, "ClusterRole", "system:auth-delegator"))
        undo.callback(rbac.delete_cluster_role_binding, name)
        name = f"{prefix}-auth-reader"
        reader = "extension-apiserver-authentication-reader"
        rbac.create_namespaced_role_binding("kube-system", bind(name, "Role", reader))
        undo.callback(rbac.delete_namespaced_role_binding, name, "kube-system")
        name = f"{prefix}-reader"
        rbac.create_cluster_role({"metadata": b.metadata(name, labels), "rules": rules})
        undo.callback(rbac.delete_cluster_role, name)
        rbac.create_cluster_role_binding(bind(name, "ClusterRole", name))
        undo.callback(rbac.delete_cluster_role_binding, name)
        yield


def _server_pod(namespace: str) -> dict[str, Any]:
    server = b.container(
        "sample-apiserver",
        image=SAMPLE_IMAGE,
        args=[
            f"--etcd-servers={ETCD_URL}",
            f"--tls-cert-file={CERTS}/tls.crt",
            f"--tls-private-key-file={CERTS}/tls.key",
            f"--secure-port={PORT}",
            "--audit-log-path=-",
            "--audit-log-maxage=0",
            "--audit-log-maxbackup=0",
        ],
        volumeMounts=[{"name": "certs", "mountPath": CERTS, "readOnly": True}],
        readinessProbe={
            "httpGet": {"scheme": "HTTPS", "port": PORT, "path": "/readyz"},
            "periodSeconds": 1,
        },
    )
    etcd = b.container(
        "etcd",
        image=ETCD_IMAGE,
        command=[
            "/usr/local/bin/etcd",
            f"--listen-client-urls={ETCD_URL}",
            f"--advertise-client-urls={ETCD_URL}",
            "--data-dir=/var/lib/etcd",
        ],
        volumeMounts=[{"name": "data", "mountPath": "/var/lib/etcd"}],
    )
    volumes = [
        {"name": "certs", "secret": {"secretName": SERVICE}},
        {"name": "data", "emptyDir": {}},
    ]
    return b.pod(SERVICE, {"app": SERVICE}, server, etcd, volumes=volumes)


def _serve(kube: Kube, namespace: str) -> bytes:
    """Run the sample server and point the Service at it; return the CA its certificate has."""
    ca_pem, cert_pem, key_pem = serving_pair(f"{SERVICE}.{namespace}.svc")
    kube.core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": SERVICE},
            "type": "kubernetes.io/tls",
            "stringData": {"tls.crt": cert_pem.decode(), "tls.key": key_pem.decode()},
        },
    )
    kube.core.create_namespaced_pod(namespace, _server_pod(namespace))
    pod = wait_running_ready(kube, namespace, SERVICE, POD_READY_S)
    kube.core.create_namespaced_service(
        namespace,
        {
            "metadata": {"name": SERVICE},
            "spec": {"type": "ExternalName", "externalName": pod.status.pod_ip},
        },
    )
    return ca_pem


def _api_service(namespace: str, ca_pem: bytes, run_id: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": b.metadata(API_SERVICE, b.run_labels(run_id)),
        "spec": {
            "group": GROUP,
            "version": VERSION,
            "service": {"namespace": namespace, "name": SERVICE, "port": PORT},
            "caBundle": base64.b64encode(ca_pem).decode(),
            "groupPriorityMinimum": 2000,
            "versionPriority": 200,
        },
    }


def _available(kube: Kube) -> bool:
    status = kube.raw_json(f"/apis/apiregistration.k8s.io/v1/apiservices/{API_SERVICE}/status")
    conditions = status.get("status", {}).get("conditions") or []
    for condition in conditions:
        if condition.get("type") == "Available":
            assert condition.get("status") == "True", (
                f"Available is {condition.get('status')}: {condition.get('reason')}: "
                f"{str(condition.get('message'))[:200]}"
            )
            return True
    return False


def _request(kube: Kube, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    answer = kube.raw(method, path, body=data, headers=headers)
    assert 200 <= answer.status < 300, (
        f"{method} {path}: HTTP {answer.status}: {server_said(answer.body)}"
    )
    return answer.json()


SERVED_S = 15
SERVED_IN_A_ROW = 3
"""Answers in a row that count as served: behind a load balancer each API server has its own
proxy to the sample server, and one may still answer 503 when another's status said
Available; three in a row reach every server of an HA control plane in turn."""


def _wait_served(kube: Kube) -> None:
    """Until the group answers through the API server ``SERVED_IN_A_ROW`` times in a row, as
    upstream waits for the aggregated API to be reachable before it uses it."""
    streak: list[int] = []

    def served() -> bool:
        answer = kube.raw("GET", FLUNDERS, headers={"Accept": "application/json"})
        if answer.status != 200:
            streak.clear()
            raise AssertionError(
                f"GET {FLUNDERS}: HTTP {answer.status}: {server_said(answer.body)}"
            )
        streak.append(answer.status)
        return len(streak) >= SERVED_IN_A_ROW

    wait_for(f"{GROUP}/{VERSION} to be served", served, SERVED_S, interval=0.2)


def _flunder_names(kube: Kube, namespace: str) -> list[str]:
    listed = _request(kube, "GET", f"{FLUNDERS}/namespaces/{namespace}/flunders")
    return sorted(item["metadata"]["name"] for item in listed.get("items", []))


def _flunders(kube: Kube, namespace: str) -> None:
    """Flunders created, listed, read and deleted through the API server's proxy to the
    sample server, and its group in discovery."""
    resources = _request(kube, "GET", FLUNDERS).get("resources", [])
    names = sorted(r.get("name") for r in resources)
    assert "flunders" in names, f"discovery of {GROUP}/{VERSION} lists {names}, not flunders"
    flunder = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Flunder",
        "metadata": {"name": "rest-flunder", "labels": {"sample-label": "true"}},
    }
    path = f"{FLUNDERS}/namespaces/{namespace}/flunders"
    made = _request(kube, "POST", path, flunder)
    assert made["metadata"]["name"] == "rest-flunder", "the sample server created another name"
    listed = _flunder_names(kube, namespace)
    assert listed == ["rest-flunder"], f"the flunders listed are {listed}, not ['rest-flunder']"
    read = _request(kube, "GET", f"{path}/rest-flunder")
    labels = read["metadata"].get("labels", {})
    assert labels == {"sample-label": "true"}, f"the flunder read back has labels {labels}"
    _request(kube, "DELETE", f"{path}/rest-flunder")
    listed = _flunder_names(kube, namespace)
    assert listed == [], f"after its deletion the flunders listed are {listed}"


def _api_service_lifecycle(kube: Kube, run_id: str) -> None:
    """The APIService itself: its status says all checks passed, a patch of its version
    priority takes (a larger resourceVersion), it is found by label, and a delete by label
    removes it and its group from the API."""
    api = client.ApiregistrationV1Api(kube.api_client)
    status = api.read_api_service_status(API_SERVICE)
    messages = [c.message for c in status.status.conditions or []]
    assert messages == ["all checks passed"], f"the APIService's conditions say {messages}"
    before = int(status.metadata.resource_version)
    patched = api.patch_api_service(API_SERVICE, {"spec": {"versionPriority": 400}})
    assert patched.spec.version_priority == 400, "the patched versionPriority is not 400"
    after = int(patched.metadata.resource_version)
    assert after > before, f"the patch did not raise the resourceVersion ({before} -> {after})"
    selector = f"{b.RUN_LABEL}={run_id}"
    found = [s.metadata.name for s in api.list_api_service(label_selector=selector).items]
    assert API_SERVICE in found, f"the APIServices labelled with the run are {found}"
    api.delete_collection_api_service(label_selector=selector)

    def unserved() -> bool:
        answer = kube.raw("GET", FLUNDERS, headers={"Accept": "application/json"})
        assert answer.status == 404, f"{FLUNDERS} still answers HTTP {answer.status}"
        return True

    wait_for(f"{GROUP} to leave the API with its APIService", unserved, 10)


@standard_base(
    id="api-machinery/aggregator",
    conformance=[
        "[sig-api-machinery] Aggregator Should be able to support the 1.17 Sample API Server "
        "using the current Aggregator [LinuxOnly] [Conformance]"
    ],
    needs=["real-kubelet", "cluster-admin"],
    timeout=65,
)
def test_aggregator(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """The sample API server (its etcd beside it, in a pod on a real node), registered with an
    APIService, becomes Available ("all checks passed"); flunders are created, listed, read and
    deleted through the API server, which lists the group in discovery; the APIService is
    patched, found by label, and deleted by label, and its group is gone from the API.
    """
    with _granted(kube, kv_namespace, run_id):
        ca_pem = _serve(kube, kv_namespace)
        api = client.ApiregistrationV1Api(kube.api_client)
        api.create_api_service(_api_service(kv_namespace, ca_pem, run_id))
        try:
            wait_for(
                f"APIService {API_SERVICE} to be Available", lambda: _available(kube), AVAILABLE_S
            )
            _wait_served(kube)
            _flunders(kube, kv_namespace)
            _api_service_lifecycle(kube, run_id)
        finally:
            try:
                api.delete_api_service(API_SERVICE)
            except client.ApiException as exc:
                if exc.status != 404:
                    raise
