"""How the API answers reads: lists in chunks (limit and continue) at one resourceVersion, Table
transformation (and its refusal where a backend has no metadata), and watches on custom resources
that see their own object's events and only those.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, gone, server_said, wait_for
from conformance.standard_base.marker import standard_base

SIG = "[sig-api-machinery]"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
TEMPLATES = 60
PAGE = 7  # several items per page, several pages, the last one partial


@standard_base(
    id="api-machinery/list-chunking",
    conformance=[
        f"{SIG} Servers with support for API chunking should return chunks of results "
        "for list calls [Conformance]"
    ],
    timeout=30,
)
def test_list_chunking(kube: Kube, kv_namespace: str) -> None:
    """A list with a limit returns pages of at most that many items, in name order, all at the
    first page's resourceVersion, each but the last with a continue token and the count of items
    remaining; a limit above the total returns everything at once.
    """
    core = kube.core
    for index in range(TEMPLATES):
        core.create_namespaced_pod_template(
            kv_namespace,
            {
                "metadata": {"name": f"template-{index:04d}"},
                "template": b.template({"name": f"test-{index}"}),
            },
        )
    for _ in range(2):
        found, first_rv, token = 0, "", None
        while True:
            page = core.list_namespaced_pod_template(
                kv_namespace, limit=PAGE, _continue=token or None
            )
            meta = page.metadata
            assert len(page.items) <= PAGE, f"a page of {len(page.items)} items, limit {PAGE}"
            first_rv = first_rv or meta.resource_version
            assert meta.resource_version == first_rv, (
                "a later page is at another resourceVersion than the first"
            )
            if meta._continue:
                remaining = meta.remaining_item_count
                assert remaining is not None, "a page with a continue token has no remaining count"
                assert remaining + len(page.items) + found == TEMPLATES, (
                    f"remainingItemCount {remaining} does not add up to {TEMPLATES}"
                )
            else:
                assert meta.remaining_item_count is None, "the last page has a remaining count"
            for item in page.items:
                assert item.metadata.name == f"template-{found:04d}", (
                    f"item {found} of the pages is {item.metadata.name}"
                )
                found += 1
            token = meta._continue
            if not token:
                break
        assert found == TEMPLATES, f"the pages held {found} items, not {TEMPLATES}"
    everything = core.list_namespaced_pod_template(kv_namespace, limit=TEMPLATES + 1)
    assert len(everything.items) == TEMPLATES, (
        f"a limit above the total returned {len(everything.items)} of {TEMPLATES}"
    )
    assert not everything.metadata._continue, "a list of everything has a continue token"


@standard_base(
    id="api-machinery/table-conversion",
    conformance=[
        f"{SIG} Servers with support for Table transformation should return a 406 for a "
        "backend which does not implement metadata [Conformance]"
    ],
    timeout=15,
)
def test_table_conversion(kube: Kube, kv_namespace: str) -> None:
    """Asked for a Table, the API server renders a list of ConfigMaps as one (column definitions,
    a row per object), and answers 406 Not Acceptable for a review, which has no metadata.
    """
    kube.core.create_namespaced_config_map(
        kv_namespace, {"metadata": {"name": "tabled"}, "data": {"key": "value"}}
    )
    table = kube.raw(
        "GET", f"/api/v1/namespaces/{kv_namespace}/configmaps", headers={"Accept": TABLE}
    )
    assert table.status == 200, f"a Table of ConfigMaps: HTTP {table.status}"
    rendered = table.json()
    assert rendered.get("kind") == "Table", f"asked for a Table, got a {rendered.get('kind')}"
    columns = [c["name"] for c in rendered.get("columnDefinitions", [])]
    assert columns[:1] == ["Name"], f"the Table's columns are {columns}"
    names = [row["cells"][0] for row in rendered.get("rows", [])]
    assert "tabled" in names, f"the Table's rows name {sorted(names)}"
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"nonResourceAttributes": {"path": "/", "verb": "get"}},
    }
    refused = kube.raw(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        body=json.dumps(review).encode(),
        headers={"Accept": TABLE, "Content-Type": "application/json"},
    )
    assert refused.status == 406, (
        f"a Table of a review: expected 406, got {refused.status}: {server_said(refused.body)}"
    )


def _noxu_crd(group: str, run_id: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"noxus.{group}", "labels": b.run_labels(run_id)},
        "spec": {
            "group": group,
            "scope": "Cluster",
            "names": {
                "plural": "noxus",
                "singular": "nonenglishnoxu",
                "kind": "WishIHadChosenNoxu",
                "listKind": "NoxuItemList",
            },
            "versions": [
                {
                    "name": "v1beta1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


def _established(kube: Kube, name: str) -> bool:
    crd = kube.extensions.read_custom_resource_definition(name)
    conditions = (crd.status.conditions or []) if crd.status else []
    return any(c.type == "Established" and c.status == "True" for c in conditions)


def _watchable(kube: Kube, group: str) -> bool:
    """Whether the new resource serves a watch yet: 404 until it is routed, 429 while its
    watch cache initialises."""
    try:
        with kube.events(
            kube.custom.list_cluster_custom_object, group, "v1beta1", "noxus", timeout=1
        ):
            return True
    except client.ApiException as exc:
        if exc.status in (404, 429):
            return False
        raise


@standard_base(
    id="api-machinery/crd-watch",
    conformance=[
        f"{SIG} CustomResourceDefinition Watch [Privileged:ClusterAdmin] "
        "CustomResourceDefinition Watch watch on custom resource definition objects "
        "[Conformance]"
    ],
    needs=["cluster-admin"],
    timeout=45,
)
def test_crd_watch(kube: Kube, run_id: str) -> None:
    """Watches on custom resources, each selecting one object by name, see its ADDED, MODIFIED
    and DELETED events in order, and nothing of the other object.
    """
    group = f"g{secrets.token_hex(4)}.kubeadm-verify.io"
    name = f"noxus.{group}"
    api, args = kube.custom, (group, "v1beta1", "noxus")
    kube.extensions.create_custom_resource_definition(_noxu_crd(group, run_id))
    try:
        wait_for(f"CRD {name} to be Established", lambda: _established(kube, name), 20)
        wait_for(f"{group} noxus to serve a watch", lambda: _watchable(kube, group), 10)

        def watch(object_name: str) -> Any:
            return kube.events(
                api.list_cluster_custom_object,
                *args,
                timeout=10,
                field_selector=f"metadata.name={object_name}",
            )

        with watch("name1") as watch_a, watch("name2") as watch_b:
            for object_name in ("name1", "name2"):
                api.create_cluster_custom_object(
                    *args,
                    {
                        "apiVersion": f"{group}/v1beta1",
                        "kind": "WishIHadChosenNoxu",
                        "metadata": {"name": object_name},
                        "content": {"key": "value"},
                        "num": {"num1": 9223372036854775807},
                    },
                )
            for object_name in ("name1", "name2"):
                api.patch_cluster_custom_object(*args, object_name, {"dummy": "test"})
            for object_name in ("name1", "name2"):
                api.delete_cluster_custom_object(*args, object_name)
            for stream, object_name in ((watch_a, "name1"), (watch_b, "name2")):
                stream.expect("ADDED", object_name)
                modified = stream.expect("MODIFIED", object_name)
                assert modified["object"].get("dummy") == "test", (
                    f"the MODIFIED event of {object_name} lacks the patched field"
                )
                stream.expect("DELETED", object_name)
            watch_a.assert_quiet(0.5)  # watch A never sees name2
            watch_b.assert_quiet(0.5)
    finally:
        try:
            kube.extensions.delete_custom_resource_definition(name)
        except client.ApiException as exc:
            if exc.status != 404:
                raise
    wait_for(
        f"CRD {name} to be deleted",
        lambda: gone(lambda: kube.extensions.read_custom_resource_definition(name)),
        10,
    )


WATCH_LABEL = "watch-this-configmap"


def _configmap_watch(kube: Kube, namespace: str, value: str, since: str | None = None) -> Any:
    return kube.events(
        kube.core.list_namespaced_config_map,
        namespace,
        timeout=10,
        label_selector=f"{WATCH_LABEL}={value}",
        resource_version=since,
    )


def _mutate(kube: Kube, namespace: str, name: str, mutation: str) -> Any:
    return kube.core.patch_namespaced_config_map(name, namespace, {"data": {"mutation": mutation}})


@standard_base(
    id="api-machinery/watch-restart",
    conformance=[
        f"{SIG} Watchers should be able to restart watching from the last resource "
        "version observed by the previous watch [Conformance]"
    ],
    timeout=15,
)
def test_watch_restart(kube: Kube, kv_namespace: str) -> None:
    """A watch restarted from the last resourceVersion a closed watch saw replays exactly the
    changes made while no watch was open.
    """
    name = "e2e-watch-test-watch-closed"
    with _configmap_watch(kube, kv_namespace, "watch-closed-and-restarted") as first:
        kube.core.create_namespaced_config_map(
            kv_namespace,
            {"metadata": b.metadata(name, {WATCH_LABEL: "watch-closed-and-restarted"})},
        )
        _mutate(kube, kv_namespace, name, "1")
        first.expect("ADDED", name)
        last = first.expect("MODIFIED", name)["object"]["metadata"]["resourceVersion"]
    second = _mutate(kube, kv_namespace, name, "2")
    with _configmap_watch(kube, kv_namespace, "watch-closed-and-restarted", last) as restarted:
        kube.core.delete_namespaced_config_map(name, kv_namespace)
        replayed = restarted.expect("MODIFIED", name)["object"]
        assert replayed["metadata"]["resourceVersion"] == second.metadata.resource_version, (
            "the restarted watch did not replay the change made while it was closed"
        )
        assert replayed["data"] == {"mutation": "2"}, "the replayed change lacks its data"
        restarted.expect("DELETED", name)


@standard_base(
    id="api-machinery/watch-selector-exit",
    conformance=[
        f"{SIG} Watchers should observe an object deletion if it stops meeting the "
        "requirements of the selector [Conformance]"
    ],
    timeout=15,
)
def test_watch_selector_exit(kube: Kube, kv_namespace: str) -> None:
    """A watch with a label selector sees an object leave (DELETED) when its label stops
    matching, nothing of it meanwhile, and see it come back (ADDED) when the label matches
    again.
    """
    name, value = "e2e-watch-test-label-changed", "label-changed-and-restored"

    def relabel(label: str) -> None:
        kube.core.patch_namespaced_config_map(
            name, kv_namespace, {"metadata": {"labels": {WATCH_LABEL: label}}}
        )

    with _configmap_watch(kube, kv_namespace, value) as watch:
        kube.core.create_namespaced_config_map(
            kv_namespace, {"metadata": b.metadata(name, {WATCH_LABEL: value})}
        )
        _mutate(kube, kv_namespace, name, "1")
        relabel("wrong-value")
        watch.expect("ADDED", name)
        assert watch.expect("MODIFIED", name)["object"]["data"] == {"mutation": "1"}, (
            "the MODIFIED event lacks the first mutation"
        )
        watch.expect("DELETED", name)
        _mutate(kube, kv_namespace, name, "2")  # not matching: the watch must not see it
        relabel(value)
        _mutate(kube, kv_namespace, name, "3")
        kube.core.delete_namespaced_config_map(name, kv_namespace)
        back = watch.expect("ADDED", name)["object"]
        assert back["data"] == {"mutation": "2"}, (
            "the object came back with other data than its change while unwatched"
        )
        assert watch.expect("MODIFIED", name)["object"]["data"] == {"mutation": "3"}, (
            "the MODIFIED event lacks the third mutation"
        )
        watch.expect("DELETED", name)


@standard_base(
    id="api-machinery/watch-order",
    conformance=[
        f"{SIG} Watchers should receive events on concurrent watches in same order [Conformance]"
    ],
    timeout=20,
)
def test_watch_order(kube: Kube, kv_namespace: str) -> None:
    """Watches started from different resourceVersions of one stream of changes see the same
    events in the same order: each sees exactly what follows its start in the first watch.
    """
    core = kube.core
    start = core.list_namespaced_config_map(kv_namespace).metadata.resource_version
    for index in range(12):  # creations, updates and deletions, interleaved
        name = f"e2e-watch-order-{index % 4}"
        if index < 4:
            core.create_namespaced_config_map(kv_namespace, {"metadata": {"name": name}})
        elif index < 8:
            _mutate(kube, kv_namespace, name, str(index))
        else:
            core.delete_namespaced_config_map(name, kv_namespace)

    def versions(since: str, count: int) -> list[str]:
        seen: list[str] = []
        with kube.events(
            core.list_namespaced_config_map, kv_namespace, timeout=10, resource_version=since
        ) as watch:
            while len(seen) < count:
                event = watch.next()
                assert event is not None, f"a watch from {since} ended after {len(seen)} events"
                if event["object"]["metadata"]["name"].startswith("e2e-watch-order-"):
                    seen.append(event["object"]["metadata"]["resourceVersion"])
        return seen

    first = versions(start, 12)
    for index in (2, 5, 9):
        later = versions(first[index], 11 - index)
        assert later == first[index + 1 :], (
            f"a watch from the {index + 1}th event saw another order than the first watch"
        )
