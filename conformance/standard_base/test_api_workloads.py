"""The workload APIs beyond the controllers' main work: ReplicaSet replace, patch, collections
and /status; Deployment /status; PodDisruptionBudgets, their /status and the disruption
controller that keeps it. Simulated nodes carry them: the pods only need to be scheduled and
reported Ready.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.apiops import (
    ClusterResource,
    Exercise,
    Scoped,
    retry_on_conflict,
    rv,
)
from conformance.standard_base.kube import Kube, gone, wait_for
from conformance.standard_base.marker import standard_base

SIG = "[sig-apps]"
Manifest = dict[str, Any]
REPLICA_SETS = ClusterResource("apps", "v1", "replicasets", "ReplicaSet")
DEPLOYMENTS = ClusterResource("apps", "v1", "deployments", "Deployment")
PDBS = ClusterResource("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget")


def _ready(kube: Kube, api: Scoped, name: str, replicas: int) -> None:
    def probe() -> bool:
        status = api.get(name).get("status") or {}
        got = (status.get("readyReplicas", 0), status.get("availableReplicas", 0))
        assert got == (replicas, replicas), f"ready and available replicas are {got}"
        return True

    wait_for(f"{name} to have {replicas} ready and available replicas", probe, 20)


def _condition(kind: str) -> Manifest:
    return {
        "type": kind,
        "status": "True",
        "reason": "E2E",
        "message": "Set from e2e test",
        "lastTransitionTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _types(obj: Manifest) -> list[str]:
    return [c["type"] for c in (obj.get("status") or {}).get("conditions") or []]


def _status_endpoints(kube: Kube, api: Scoped, kind: str, name: str, selector: str) -> None:
    """/status reads the object; an update adds a condition and a merge patch another, each seen
    by a watch (upstream's "should validate <Kind> Status endpoints")."""
    created = api.get(name)
    status = api.get_status(name)
    assert status["kind"] == kind, f"/status returned a {status['kind']}"
    assert status["metadata"]["uid"] == created["metadata"]["uid"], "/status returned another"
    since = api.list(label_selector=selector)["metadata"]["resourceVersion"]
    with kube.events(
        api.list, label_selector=selector, resource_version=since, timeout=15
    ) as watch:

        def update() -> Manifest:
            current = api.get(name)
            current["status"]["conditions"] = [
                *(current["status"].get("conditions") or []),
                _condition("StatusUpdate"),
            ]
            return api.replace_status(name, current)

        assert "StatusUpdate" in _types(retry_on_conflict(update)), (
            "the /status update did not add its condition"
        )
        _watch_until(watch, name, "StatusUpdate")
        patched = api.patch_status(name, {"status": {"conditions": [_condition("StatusPatched")]}})
        assert "StatusPatched" in _types(patched), "the /status patch did not add its condition"
        _watch_until(watch, name, "StatusPatched")


def _watch_until(watch: Any, name: str, condition: str) -> None:
    while True:
        event = watch.next()
        assert event is not None, f"the watch ended before showing the {condition} condition"
        if event["object"]["metadata"]["name"] == name and condition in _types(event["object"]):
            return


def _replica_set(name: str, labels: dict[str, str], replicas: int) -> Manifest:
    body = b.replica_set(name, {"name": "sample-pod"}, replicas)
    body["metadata"]["labels"] = labels
    return body


@standard_base(
    id="apps/replicaset-api",
    conformance=[
        f"{SIG} ReplicaSet Replace and Patch tests [Conformance]",
        f"{SIG} ReplicaSet should list and delete a collection of ReplicaSets [Conformance]",
        f"{SIG} ReplicaSet should validate Replicaset Status endpoints [Conformance]",
    ],
    needs=["nodes"],
    timeout=40,
)
def test_replicaset_api(kube: Kube, kv_namespace: str) -> None:
    """A ReplicaSet scaled by update and by a patch (a larger resourceVersion, a new template)
    reaches its ready replicas; its /status takes an updated and a patched condition, seen by a
    watch; ReplicaSets are listed by label across namespaces and deleted by collection.
    """
    api, tag = Scoped(kube.custom, REPLICA_SETS, kv_namespace), secrets.token_hex(4)
    labels = {"test-rs": tag}
    created = api.create(_replica_set("test-rs", labels, 1))
    _ready(kube, api, "test-rs", 1)

    def scale() -> Manifest:
        current = api.get("test-rs")
        current["spec"]["replicas"] = 2
        return api.replace("test-rs", current)

    retry_on_conflict(scale)
    patched = api.patch(
        "test-rs",
        {
            "metadata": {"labels": {"test-rs-patched": "true"}},
            "spec": {
                "replicas": 3,
                "template": {
                    "spec": {
                        "terminationGracePeriodSeconds": 0,
                        "containers": [{"name": "main", "image": b.PAUSE_IMAGE}],
                    }
                },
            },
        },
    )
    assert rv(patched) > rv(created), "the patched ReplicaSet has no larger resource version"
    _ready(kube, api, "test-rs", 3)
    _status_endpoints(kube, api, "ReplicaSet", "test-rs", f"test-rs={tag}")
    everywhere = kube.custom.list_cluster_custom_object(
        "apps", "v1", "replicasets", label_selector=f"test-rs={tag}"
    )
    assert len(everywhere["items"]) == 1, (
        f"{len(everywhere['items'])} ReplicaSets listed by label across namespaces, not 1"
    )
    api.delete_collection(f"test-rs={tag}")
    wait_for(
        "the ReplicaSets to be deleted by collection",
        lambda: not api.list(label_selector=f"test-rs={tag}")["items"],
        10,
    )


@standard_base(
    id="apps/deployment-status",
    conformance=[f"{SIG} Deployment should validate Deployment Status endpoints [Conformance]"],
    needs=["nodes"],
    timeout=30,
)
def test_deployment_status(kube: Kube, kv_namespace: str) -> None:
    """A Deployment's /status reads it and takes an updated and a patched condition, each seen by
    a watch, while the Deployment controller keeps its own.
    """
    api, tag = Scoped(kube.custom, DEPLOYMENTS, kv_namespace), secrets.token_hex(4)
    body = b.deployment("test-deployment", {"e2e": tag}, 1)
    api.create(body)
    _ready(kube, api, "test-deployment", 1)
    _status_endpoints(kube, api, "Deployment", "test-deployment", f"e2e={tag}")


def _pdb(name: str, min_available: int | str, labels: dict[str, str]) -> Manifest:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": b.metadata(name, labels),
        "spec": {"selector": {"matchLabels": {"foo": "bar"}}, "minAvailable": min_available},
    }


def _processed(api: Scoped, name: str) -> None:
    def probe() -> bool:
        pdb = api.get(name)
        observed = (pdb.get("status") or {}).get("observedGeneration", 0)
        return bool(observed >= pdb["metadata"]["generation"])

    wait_for(f"the disruption controller to process PodDisruptionBudget {name}", probe, 15)


@standard_base(
    id="apps/pdb-api",
    conformance=[
        f"{SIG} DisruptionController should create a PodDisruptionBudget [Conformance]",
        f"{SIG} DisruptionController should observe PodDisruptionBudget status updated "
        "[Conformance]",
        f"{SIG} DisruptionController should update/patch PodDisruptionBudget status [Conformance]",
        f"{SIG} DisruptionController Listing PodDisruptionBudgets for all namespaces should list "
        "and delete a collection of PodDisruptionBudgets [Conformance]",
    ],
    needs=["nodes", "cluster-admin"],
    timeout=40,
)
def test_pdb_api(kube: Kube, kv_namespace: str, run_id: str) -> None:
    """PodDisruptionBudgets are processed by the disruption controller, updated and patched; with
    three ready pods it allows disruptions; their /status takes disrupted pods by update and
    drops them by patch; they are listed across namespaces and deleted by collection.
    """
    api, tag = Scoped(kube.custom, PDBS, kv_namespace), secrets.token_hex(4)
    labels = {"foo_pdb": tag}
    api.create(_pdb("foo", "1%", labels))
    _processed(api, "foo")

    def update() -> Manifest:
        current = api.get("foo")
        current["spec"]["minAvailable"] = "2%"
        return api.replace("foo", current)

    updated = retry_on_conflict(update)
    assert updated["spec"]["minAvailable"] == "2%", "the update did not change minAvailable"
    patched = api.patch("foo", {"spec": {"minAvailable": "3%"}})
    assert patched["spec"]["minAvailable"] == "3%", "the patch did not change minAvailable"
    assert rv(patched) > rv(updated), "the patched budget has no larger resource version"
    api.delete("foo")
    wait_for("the budget to be deleted", lambda: gone(lambda: api.get("foo")), 10)
    api.create(_pdb("foo", 1, labels))
    for index in range(3):
        kube.core.create_namespaced_pod(kv_namespace, b.pod(f"pod-{index}", {"foo": "bar"}))

    def disruptions_allowed() -> bool:
        allowed = (api.get("foo").get("status") or {}).get("disruptionsAllowed", 0)
        assert allowed > 0, f"disruptionsAllowed is {allowed}"
        return True

    wait_for("the budget to allow disruptions once 3 pods are ready", disruptions_allowed, 30)

    def disrupt() -> Manifest:
        current = api.get("foo")
        current["status"]["disruptedPods"] = {
            "pod-0": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        }
        return api.replace_status("foo", current)

    updated = retry_on_conflict(disrupt)
    assert "pod-0" in (updated["status"].get("disruptedPods") or {}), (
        "the /status update did not record the disrupted pod"
    )
    assert "pod-0" in (api.get_status("foo")["status"].get("disruptedPods") or {}), (
        "/status does not read back the disrupted pod"
    )
    patched = api.patch_status("foo", {"status": {"disruptedPods": None}})
    assert not patched["status"].get("disruptedPods"), "the /status patch left disrupted pods"
    _collection(kube, api, labels, run_id)


def _collection(kube: Kube, api: Scoped, labels: dict[str, str], run_id: str) -> None:
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    api.create(_pdb("foo2", "1%", labels))
    other = b.unique("pdb-other")
    kube.core.create_namespace({"metadata": b.metadata(other, b.run_labels(run_id))})
    try:
        Scoped(kube.custom, PDBS, other).create(_pdb("foo3", 2, labels))
        everywhere = kube.custom.list_cluster_custom_object(
            "policy", "v1", "poddisruptionbudgets", label_selector=selector
        )["items"]
        assert sorted(p["metadata"]["name"] for p in everywhere) == ["foo", "foo2", "foo3"], (
            "the budgets are not all listed across namespaces"
        )
        here = sorted(p["metadata"]["name"] for p in api.list(label_selector=selector)["items"])
        assert here == ["foo", "foo2"], f"the namespace lists budgets {here}"
        api.delete_collection(selector)
        wait_for(
            "the namespace's budgets to be deleted by collection",
            lambda: not api.list(label_selector=selector)["items"],
            10,
        )
    finally:
        kube.core.delete_namespace(other)


STATEFUL_SETS = ClusterResource("apps", "v1", "statefulsets", "StatefulSet")
STS = f"{SIG} StatefulSet Basic StatefulSet functionality [StatefulSetBasic]"


@standard_base(
    id="apps/statefulset-api",
    conformance=[
        f"{STS} should list, patch and delete a collection of StatefulSets [Conformance]",
        f"{STS} should validate Statefulset Status endpoints [Conformance]",
    ],
    needs=["nodes"],
    timeout=40,
)
def test_statefulset_api(kube: Kube, kv_namespace: str) -> None:
    """A StatefulSet patched to two replicas of a new image (a larger resourceVersion) brings both
    up; its /status takes an updated and a patched condition, seen by a watch; StatefulSets are
    listed by label across namespaces and deleted by collection.
    """
    api, tag = Scoped(kube.custom, STATEFUL_SETS, kv_namespace), secrets.token_hex(4)
    pod_labels = {"app": f"ss-{tag}"}
    created = api.create(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": b.metadata("test-ss", {"test-ss": tag}),
            "spec": {
                "replicas": 1,
                "serviceName": "test-ss",
                "podManagementPolicy": "Parallel",
                "selector": {"matchLabels": pod_labels},
                "template": b.template(pod_labels),
            },
        }
    )
    _ready(kube, api, "test-ss", 1)
    patched = api.patch(
        "test-ss",
        {
            "metadata": {"labels": {"test-ss-patched": tag}},
            "spec": {
                "replicas": 2,
                # busybox's own command is a shell that exits at once: a pod of it is Ready
                # only for the moment before it ends, so it is told to keep running.
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "main", "image": b.BUSYBOX_IMAGE, "command": ["sleep", "3600"]}
                        ]
                    }
                },
            },
        },
    )
    assert rv(patched) > rv(created), "the patched StatefulSet has no larger resource version"
    assert patched["spec"]["template"]["spec"]["containers"][0]["image"] == b.BUSYBOX_IMAGE, (
        "the patch did not change the image"
    )
    _ready(kube, api, "test-ss", 2)
    _status_endpoints(kube, api, "StatefulSet", "test-ss", f"test-ss={tag}")
    selector = f"test-ss-patched={tag}"
    everywhere = kube.custom.list_cluster_custom_object(
        "apps", "v1", "statefulsets", label_selector=selector
    )["items"]
    assert len(everywhere) == 1, f"{len(everywhere)} StatefulSets listed by label, not 1"
    api.delete_collection(selector)
    wait_for(
        "the StatefulSets to be deleted by collection",
        lambda: not api.list(label_selector=selector)["items"],
        10,
    )


CRON_JOBS = ClusterResource("batch", "v1", "cronjobs", "CronJob")


@standard_base(
    id="apps/cronjob-api",
    conformance=[f"{SIG} CronJob should support CronJob API operations [Conformance]"],
    timeout=20,
)
def test_cronjob_api(kube: Kube, kv_namespace: str) -> None:
    """CronJobs (suspended: no Job is made) support every operation, in a namespace and across
    namespaces, and their /status reads and takes a lastScheduleTime by patch and by update.
    """
    labels = {"special-label": secrets.token_hex(4)}
    job_template = {
        "spec": {
            "template": {
                "spec": {
                    **b.pod_spec(b.container(image=b.BUSYBOX_IMAGE, command=["true"])),
                    "restartPolicy": "OnFailure",
                }
            }
        }
    }
    template = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"generateName": "test-api-", "labels": labels},
        "spec": {
            "schedule": "* */1 * * ?",
            "suspend": True,
            "concurrencyPolicy": "Allow",
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 0,
            "jobTemplate": job_template,
        },
    }
    selector = f"special-label={labels['special-label']}"
    Exercise(
        kube,
        ClusterResource("batch", "v1", "cronjobs", "CronJob", ()),
        template,
        selector,
        namespace=kv_namespace,
    ).run()
    api = Scoped(kube.custom, CRON_JOBS, kv_namespace)
    created = api.create(template)
    name = created["metadata"]["name"]
    patched = api.patch_status(
        name,
        {
            "metadata": {"annotations": {"patchedstatus": "true"}},
            "status": {"lastScheduleTime": "2026-01-01T00:00:00Z"},
        },
    )
    assert patched["status"].get("lastScheduleTime") == "2026-01-01T00:00:00Z", (
        "the /status patch did not set lastScheduleTime"
    )

    def update() -> Manifest:
        current = api.get(name)
        current["status"]["lastScheduleTime"] = "2026-01-01T01:00:00Z"
        return api.replace_status(name, current)

    assert retry_on_conflict(update)["status"].get("lastScheduleTime") == (
        "2026-01-01T01:00:00Z"
    ), "the /status update did not set lastScheduleTime"
    status = api.get_status(name)
    assert status["metadata"]["uid"] == created["metadata"]["uid"], "/status returned another"
    api.delete(name)


JOBS = ClusterResource("batch", "v1", "jobs", "Job")


def _job(name: str, labels: dict[str, str], suspend: bool) -> Manifest:
    exits = b.container(image=b.BUSYBOX_IMAGE, command=["sh", "-c", "exit 0"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": b.metadata(name, labels),
        "spec": {
            "suspend": suspend,
            "completions": 1,
            "parallelism": 1,
            "backoffLimit": 2,
            "template": b.template({"job": name}, exits, restartPolicy="Never"),
        },
    }


def _complete(api: Scoped, name: str) -> bool:
    conditions = {
        c["type"]: c["status"] for c in (api.get(name).get("status") or {}).get("conditions") or []
    }
    assert conditions.get("Failed") != "True", f"the Job {name} failed"
    return conditions.get("Complete") == "True"


@standard_base(
    id="apps/job-api",
    conformance=[
        f"{SIG} Job should manage the lifecycle of a job [Conformance]",
        f"{SIG} Job should apply changes to a job status [Conformance]",
        f"{SIG} Job should delete a job [Conformance]",
    ],
    needs=["nodes"],
    timeout=40,
)
def test_job_api(kube: Kube, kv_namespace: str) -> None:
    """A suspended Job is patched (a larger resourceVersion) and resumed by an update, each seen
    by a watch, runs to completion and is deleted by collection; a Job's /status takes a custom
    condition by patch and by update; a deleted Job takes its pods with it.
    """
    api, tag = Scoped(kube.custom, JOBS, kv_namespace), secrets.token_hex(4)
    selector = f"e2e-job-label={tag}"
    since = api.list(label_selector=selector)["metadata"]["resourceVersion"]
    with kube.events(
        api.list, label_selector=selector, resource_version=since, timeout=30
    ) as watch:
        created = api.create(_job("e2e-job", {"e2e-job-label": tag}, suspend=True))
        watch.expect("ADDED", "e2e-job")
        patched = api.patch("e2e-job", {"metadata": {"labels": {"e2e-job": "patched"}}})
        assert rv(patched) > rv(created), "the patched Job has no larger resource version"
        _watch_for(watch, lambda job: job["metadata"]["labels"].get("e2e-job") == "patched")

        def resume() -> Manifest:
            current = api.get("e2e-job")
            current["spec"]["suspend"] = False
            current["metadata"].setdefault("annotations", {})["updated"] = "true"
            return api.replace("e2e-job", current)

        retry_on_conflict(resume)
        _watch_for(
            watch,
            lambda job: (
                (job["metadata"].get("annotations") or {}).get("updated") == "true"
                and job["spec"]["suspend"] is False
            ),
        )
        assert len(api.list(label_selector=selector)["items"]) == 1, "the Job is not listed"
        wait_for("the resumed Job to complete", lambda: _complete(api, "e2e-job"), 30)
        api.delete_collection(selector)
        _watch_for(watch, lambda job: True, kind="DELETED")
    _job_status(api, tag)
    _job_delete(kube, api, tag)


def _watch_for(watch: Any, check: Any, kind: str = "MODIFIED") -> None:
    while True:
        event = watch.next()
        assert event is not None, f"the watch ended before the expected {kind} event"
        if event["type"] == kind and check(event["object"]):
            return


def _job_status(api: Scoped, tag: str) -> None:
    created = api.create(_job("status-job", {"e2e-status-job": tag}, suspend=True))
    condition = {**_condition("CustomConditionType"), "lastProbeTime": "2026-01-01T00:00:00Z"}
    patched = api.patch_status(
        "status-job",
        {
            "metadata": {"annotations": {"patchedstatus": "true"}},
            "status": {"conditions": [condition]},
        },
    )
    assert "CustomConditionType" in _types(patched), "the /status patch lost its condition"
    assert patched["metadata"]["annotations"].get("patchedstatus") == "true", (
        "the /status patch lost its annotation"
    )

    def update() -> Manifest:
        current = api.get("status-job")
        for entry in current["status"]["conditions"]:
            if entry["type"] == "CustomConditionType":
                entry["message"] = "Updated by an e2e test"
        return api.replace_status("status-job", current)

    updated = retry_on_conflict(update)
    messages = [
        c.get("message")
        for c in updated["status"]["conditions"]
        if c["type"] == "CustomConditionType"
    ]
    assert messages == ["Updated by an e2e test"], "the /status update did not change it"
    status = api.get_status("status-job")
    assert status["metadata"]["uid"] == created["metadata"]["uid"], "/status returned another"
    api.delete("status-job")


def _job_delete(kube: Kube, api: Scoped, tag: str) -> None:
    api.create(_job("foo", {"e2e-delete-job": tag}, suspend=False))
    wait_for(
        "the Job to make its pod",
        lambda: kube.core.list_namespaced_pod(api.namespace, label_selector="job=foo").items,
        15,
    )
    kube.batch.delete_namespaced_job("foo", api.namespace, body={"propagationPolicy": "Foreground"})
    wait_for(
        "the Job and its pods to be deleted",
        lambda: (
            gone(lambda: api.get("foo"))
            and not (kube.core.list_namespaced_pod(api.namespace, label_selector="job=foo").items)
        ),
        20,
    )
