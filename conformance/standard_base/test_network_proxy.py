"""network: the API server's proxy to a pod and to a Service, for every HTTP method.

agnhost's ``porter`` answers each request with the method it received and the value of its
``SERVE_PORT_80`` variable, as JSON. Through ``/api/v1/namespaces/<ns>/pods/<pod>/proxy`` and
``.../services/<service>/proxy`` each method must reach it as sent (with a path after ``proxy/``,
or none and the method in the query); a GET or HEAD of the bare ``proxy`` is redirected (301)
to ``proxy/``, as upstream's spec holds.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import json

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, RawResponse, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.workloads import wait_running_ready

SIG = (
    "[sig-network] Proxy version v1 A set of valid responses are returned for both pod and service"
)
MESSAGE = "foo"
WITH_PATH = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
WITH_QUERY = ("DELETE", "OPTIONS", "PATCH", "POST", "PUT")
REDIRECTED = ("GET", "HEAD")
REACH_S = 10.0
"""The first requests may come before the Service's endpoint is published; later ones at once."""


def _answered(response: RawResponse, method: str) -> bool:
    """The porter's answer to ``method``: 200, and (but for HEAD) its JSON naming the method
    and the message."""
    assert response.status == 200, f"{method}: HTTP {response.status}"
    if method == "HEAD":
        return True
    try:
        said = json.loads(response.body)
    except ValueError:
        raise AssertionError(f"{method}: the answer is not the porter's JSON") from None
    assert said.get("Method") == method, f"{method}: the porter received {said.get('Method')!r}"
    assert said.get("Body") == MESSAGE, f"{method}: the porter did not answer with its message"
    return True


@standard_base(
    id="network/apiserver-proxy",
    conformance=[
        f"{SIG} Proxy [Conformance]",
        f"{SIG} ProxyWithPath [Conformance]",
    ],
    needs=["real-kubelet"],
    timeout=10,
)
def test_apiserver_proxy(kube: Kube, kv_namespace: str) -> None:
    """Every HTTP method reaches a pod and a Service through the API server's proxy unchanged,
    with a path (DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT) and without one (the method in
    the query); GET and HEAD of the bare proxy URL are redirected with 301."""
    labels = {"test": "response"}
    porter = b.container(
        "agnhost",
        image=b.AGNHOST_IMAGE,
        command=["/agnhost", "porter", "--json-response"],
        env=[{"name": "SERVE_PORT_80", "value": MESSAGE}],
    )
    kube.core.create_namespaced_pod(
        kv_namespace, b.pod("agnhost", labels, porter, restartPolicy="Never")
    )
    kube.core.create_namespaced_service(
        kv_namespace, b.service("test-service", labels, [{"port": 80, "targetPort": 80}])
    )
    wait_running_ready(kube, kv_namespace, "agnhost", 10)
    base = f"/api/v1/namespaces/{kv_namespace}"
    for target in ("pods/agnhost", "services/test-service"):
        for method in WITH_PATH:
            _reaches(kube, method, f"{base}/{target}/proxy/some/path/with/{method}", [])
        for method in WITH_QUERY:
            _reaches(kube, method, f"{base}/{target}/proxy", [("method", method)])
        for method in REDIRECTED:
            status = kube.raw(method, f"{base}/{target}/proxy", query=[("method", method)]).status
            assert status == 301, f"{method} {target}/proxy: HTTP {status}, not a 301 redirect"


def _reaches(kube: Kube, method: str, path: str, query: list[tuple[str, str]]) -> None:
    where = path.split("/", 5)[-1] + (f"?method={method}" if query else "")
    wait_for(
        f"{method} {where} to reach the porter",
        lambda: _answered(kube.raw(method, path, query=query), method),
        REACH_S,
    )
