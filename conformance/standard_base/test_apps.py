"""apps: Deployments roll out and back, ReplicaSets scale and adopt, StatefulSets keep order,
DaemonSets cover the nodes, Jobs complete, CronJobs schedule.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else, never the
values pytest would print beside it (API objects, a bootstrap token's secret).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, wait_for
from conformance.standard_base.marker import standard_base
from conformance.standard_base.nodelist import first_nodes
from conformance.standard_base.nodes import made_by_suite, not_ready_reason
from conformance.standard_base.workloads import pod_ready

SIG = "[sig-apps]"
OTHER_PAUSE = "registry.k8s.io/pause:3.10"


def _selector(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _rollout_done(kube: Kube, namespace: str, name: str) -> Any:
    deployment = kube.apps.read_namespaced_deployment(name, namespace)
    status, want = deployment.status, deployment.spec.replicas
    assert (status.observed_generation or 0) >= deployment.metadata.generation, "not observed"
    assert (status.updated_replicas or 0) == want, f"{status.updated_replicas}/{want} updated"
    assert (status.available_replicas or 0) == want, f"{status.available_replicas}/{want} up"
    assert (status.replicas or 0) == want, f"{status.replicas} replicas: old pods remain"
    return deployment


def _revision(obj: Any) -> str:
    return str((obj.metadata.annotations or {}).get("deployment.kubernetes.io/revision", ""))


def _image(obj: Any) -> str:
    return str(obj.spec.template.spec.containers[0].image)


def _active_rs(kube: Kube, namespace: str, labels: dict[str, str]) -> Any:
    sets = kube.apps.list_namespaced_replica_set(namespace, label_selector=_selector(labels))
    active = [rs for rs in sets.items if (rs.spec.replicas or 0) > 0]
    assert len(active) == 1, f"{len(active)} ReplicaSets have replicas, expected 1"
    return active[0]


@standard_base(id="apps/deployment-rollout-rollback", needs=["nodes"], timeout=90)
def test_deployment_rollout_rollback(kube: Kube, kv_namespace: str) -> None:
    """A Deployment rolls out a new template in a new ReplicaSet, replaces the old pods, and rolls
    back to its first ReplicaSet.
    """
    labels = {"app": b.unique("rollout")}
    name = "rollout"
    body = b.deployment(
        name,
        labels,
        replicas=2,
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
    )
    kube.apps.create_namespaced_deployment(kv_namespace, body)
    wait_for("the first rollout", lambda: _rollout_done(kube, kv_namespace, name), 40)
    first = _active_rs(kube, kv_namespace, labels)
    assert _revision(first) == "1", f"the first ReplicaSet has revision {_revision(first)}"
    template_patch = {
        "spec": {"template": {"spec": {"containers": [{"name": "main", "image": OTHER_PAUSE}]}}}
    }
    kube.apps.patch_namespaced_deployment(name, kv_namespace, template_patch)
    wait_for("the rolling update", lambda: _rollout_done(kube, kv_namespace, name), 40)
    second = _active_rs(kube, kv_namespace, labels)
    assert second.metadata.name != first.metadata.name, "the update reused the old ReplicaSet"
    assert _image(second) == OTHER_PAUSE and _revision(second) == "2", (
        "the rollout did not make a second revision with the new image"
    )
    pods = kube.core.list_namespaced_pod(kv_namespace, label_selector=_selector(labels)).items
    stale = [
        p.metadata.name
        for p in pods
        if p.spec.containers[0].image != OTHER_PAUSE and not p.metadata.deletion_timestamp
    ]
    assert not stale, f"pods of the old template remain: {stale}"
    # Roll back: the first template again; the Deployment takes its ReplicaSet back.
    back = {
        "spec": {"template": {"spec": {"containers": [{"name": "main", "image": b.PAUSE_IMAGE}]}}}
    }
    kube.apps.patch_namespaced_deployment(name, kv_namespace, back)
    wait_for("the rollback", lambda: _rollout_done(kube, kv_namespace, name), 40)
    third = _active_rs(kube, kv_namespace, labels)
    assert third.metadata.name == first.metadata.name, "the rollback made a new ReplicaSet"
    assert _revision(third) == "3", f"the rolled-back ReplicaSet has revision {_revision(third)}"


@standard_base(
    id="apps/replicaset-scale",
    conformance=[
        f"{SIG} ReplicaSet Replicaset should have a working scale subresource [Conformance]"
    ],
    needs=["nodes"],
    timeout=60,
)
def test_replicaset_scale(kube: Kube, kv_namespace: str) -> None:
    """A ReplicaSet's scale subresource reads, replaces and patches its replica count, and the pods
    follow.
    """
    labels = {"name": "sample-pod", "pod": "agnhost"}
    apps, name = kube.apps, "test-rs"
    apps.create_namespaced_replica_set(kv_namespace, b.replica_set(name, labels, 1))

    def available(count: int) -> bool:
        rs = apps.read_namespaced_replica_set(name, kv_namespace)
        got = rs.status.available_replicas or 0
        assert got == count, f"{got} of {count} replicas available"
        return True

    wait_for("one available replica", lambda: available(1), 30)
    scale = apps.read_namespaced_replica_set_scale(name, kv_namespace)
    assert scale.spec.replicas == 1 and scale.status.replicas == 1, (
        f"the scale subresource says {scale.spec.replicas} wanted, {scale.status.replicas} running"
    )
    updated = apps.replace_namespaced_replica_set_scale(
        name,
        kv_namespace,
        {"metadata": {"name": name, "namespace": kv_namespace}, "spec": {"replicas": 2}},
    )
    assert updated.spec.replicas == 2, (
        f"the scale subresource answered {updated.spec.replicas} replicas, not 2"
    )
    assert apps.read_namespaced_replica_set(name, kv_namespace).spec.replicas == 2, (
        "the ReplicaSet does not ask for the 2 replicas the scale set"
    )
    apps.patch_namespaced_replica_set_scale(name, kv_namespace, {"spec": {"replicas": 4}})
    assert apps.read_namespaced_replica_set(name, kv_namespace).spec.replicas == 4, (
        "the ReplicaSet does not ask for the 4 replicas it was scaled to"
    )
    wait_for("four available replicas", lambda: available(4), 30)
    apps.patch_namespaced_replica_set_scale(name, kv_namespace, {"spec": {"replicas": 1}})

    def scaled_down() -> bool:
        pods = kube.core.list_namespaced_pod(kv_namespace, label_selector=_selector(labels))
        live = [p for p in pods.items if not p.metadata.deletion_timestamp]
        assert len(live) == 1, f"{len(live)} pods after scaling down to 1"
        return True

    wait_for("the ReplicaSet to scale down to one pod", scaled_down, 30)


@standard_base(
    id="apps/replicaset-adopt-release",
    conformance=[
        f"{SIG} ReplicaSet should adopt matching pods on creation and release no longer "
        "matching pods [Conformance]"
    ],
    needs=["nodes"],
    timeout=60,
)
def test_replicaset_adopt_release(kube: Kube, kv_namespace: str) -> None:
    """A ReplicaSet adopts an orphan pod its selector matches and releases a pod whose labels stop
    matching.
    """
    name = "pod-adoption-release"
    labels = {"name": name}
    kube.core.create_namespaced_pod(kv_namespace, b.pod(name, labels))
    rs = kube.apps.create_namespaced_replica_set(kv_namespace, b.replica_set(name, labels, 1))
    uid = rs.metadata.uid

    def owned_by_rs(pod: Any) -> bool:
        return any(o.controller and o.uid == uid for o in pod.metadata.owner_references or [])

    def adopted() -> bool:
        pods = kube.core.list_namespaced_pod(kv_namespace).items
        by_name = {p.metadata.name: p for p in pods}
        orphan = by_name.get(name)
        # Upstream accepts either outcome: the pod adopted, or deleted and replaced.
        return orphan is None or owned_by_rs(orphan)

    wait_for("the ReplicaSet to adopt the matching pod", adopted, 30)
    pods = [
        p
        for p in kube.core.list_namespaced_pod(kv_namespace, label_selector=_selector(labels)).items
        if owned_by_rs(p)
    ]
    assert len(pods) == 1, f"the ReplicaSet owns {len(pods)} pods, expected 1"
    released = pods[0].metadata.name
    kube.core.patch_namespaced_pod(
        released, kv_namespace, {"metadata": {"labels": {"name": "not-matching-name"}}}
    )

    def release_done() -> bool:
        pod = kube.core.read_namespaced_pod(released, kv_namespace)
        assert not owned_by_rs(pod), "the relabelled pod still has the ReplicaSet as owner"
        replacements = [
            p
            for p in kube.core.list_namespaced_pod(
                kv_namespace, label_selector=_selector(labels)
            ).items
            if owned_by_rs(p)
        ]
        assert len(replacements) == 1, "the ReplicaSet did not replace the released pod"
        return True

    wait_for("the ReplicaSet to release the pod and replace it", release_done, 30)


@standard_base(id="apps/statefulset-ordering", needs=["nodes"], timeout=90)
def test_statefulset_ordering(kube: Kube, kv_namespace: str) -> None:
    """OrderedReady: pod i is created only once pod i-1 is Ready; scale-down goes in reverse."""
    labels = {"app": "ordered"}
    headless = b.service("ordered", labels, [{"port": 80}])
    headless["spec"]["clusterIP"] = "None"
    kube.core.create_namespaced_service(kv_namespace, headless)
    since = kube.core.list_namespaced_pod(kv_namespace).metadata.resource_version
    with kube.events(
        kube.core.list_namespaced_pod,
        kv_namespace,
        timeout=80,
        resource_version=since,
        label_selector=_selector(labels),
    ) as watch:
        kube.apps.create_namespaced_stateful_set(
            kv_namespace,
            {
                "metadata": {"name": "web"},
                "spec": {
                    "replicas": 3,
                    "serviceName": "ordered",
                    "podManagementPolicy": "OrderedReady",
                    "selector": {"matchLabels": labels},
                    "template": b.template(labels),
                },
            },
        )
        # The controller records the generation it saw at once; without one the pod watch
        # below would only end at its own deadline (the watch keeps the events meanwhile).
        wait_for(
            "the StatefulSet controller to observe the StatefulSet",
            lambda: _statefulset_observed(kube, kv_namespace, "web"),
            30,
        )
        ready: set[str] = set()
        created: list[str] = []
        while len(ready) < 3:
            event = watch.next()
            assert event is not None, f"the watch ended with {sorted(ready)} Ready"
            pod = event["object"]
            name = pod["metadata"]["name"]
            if event["type"] == "ADDED":
                index = int(name.rsplit("-", 1)[1])
                predecessors = {f"web-{i}" for i in range(index)}
                assert predecessors <= ready, (
                    f"{name} was created before {sorted(predecessors - ready)} was Ready"
                )
                created.append(name)
            conditions = (pod.get("status") or {}).get("conditions") or []
            if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions):
                ready.add(name)
        assert created == ["web-0", "web-1", "web-2"], f"creation order {created}"
        kube.apps.patch_namespaced_stateful_set("web", kv_namespace, {"spec": {"replicas": 1}})
        deleted: list[str] = []
        while len(deleted) < 2:
            event = watch.next()
            assert event is not None, f"the watch ended after deleting {deleted}"
            if event["type"] == "DELETED":
                deleted.append(event["object"]["metadata"]["name"])
        assert deleted == ["web-2", "web-1"], f"scale-down deleted in the order {deleted}"


def _statefulset_observed(kube: Kube, namespace: str, name: str) -> bool:
    stateful_set = kube.apps.read_namespaced_stateful_set(name, namespace)
    observed = (stateful_set.status.observed_generation or 0) if stateful_set.status else 0
    return bool(observed >= stateful_set.metadata.generation)


DAEMON_SAMPLE = 3
"""Nodes the DaemonSet is pinned to: a real cluster of a thousand nodes must not get a thousand
pods from a validator, and three nodes already show one pod per node, not one in all."""


@standard_base(
    id="apps/daemonset-placement",
    conformance=[f"{SIG} Daemon set should run and stop simple daemon [Conformance] [Serial]"],
    needs=["nodes"],
    timeout=60,
)
def test_daemonset_placement(kube: Kube, kv_namespace: str, allowed_not_ready_nodes: int) -> None:
    """A DaemonSet runs one ready pod on each of the (up to three) nodes it selects, its status
    counts them, and a deleted pod is replaced."""
    # The first three nodes by name, whatever their state (but for the Node objects other tests
    # make, which no kubelet backs, and the NotReady nodes --allowed-not-ready-nodes lets be):
    # the DaemonSet tolerates every taint, so a node that cannot run its pod (NotReady, no CNI)
    # fails the test, as it would fail a DaemonSet on every node. Selected with a required node
    # affinity on metadata.name (the field the DaemonSet controller itself pins its pods with):
    # three pods on a cluster of any size.
    let_be: list[str] = []

    def wanted(node: Any) -> bool:
        if made_by_suite(node):
            return False
        if len(let_be) < allowed_not_ready_nodes and not_ready_reason(node):
            let_be.append(node.metadata.name)
            return False
        return True

    sample = sorted(n.metadata.name for n in first_nodes(kube, DAEMON_SAMPLE, wanted))
    assert sample, "no Node to place a daemon pod on"
    labels = {"daemonset-name": "daemon-set"}
    template = b.template(labels)
    template["spec"]["tolerations"] = [{"operator": "Exists"}]  # as kube-proxy: every node
    template["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [name]}]}
                    for name in sample
                ]
            }
        }
    }  # one name a term (the API's rule for metadata.name), ORed
    kube.apps.create_namespaced_daemon_set(
        kv_namespace,
        {
            "metadata": {"name": "daemon-set"},
            "spec": {"selector": {"matchLabels": labels}, "template": template},
        },
    )

    def on_each_node() -> list[Any]:
        pods = [
            p
            for p in kube.core.list_namespaced_pod(
                kv_namespace, label_selector=_selector(labels)
            ).items
            if not p.metadata.deletion_timestamp
        ]
        placed = [p.spec.node_name for p in pods if pod_ready(p)]
        assert sorted(placed) == sample, (
            f"ready daemon pods on {sorted(placed)}, the selected nodes are {sample}"
        )
        ds = kube.apps.read_namespaced_daemon_set("daemon-set", kv_namespace).status
        assert (
            ds.desired_number_scheduled
            == ds.current_number_scheduled
            == ds.number_ready
            == len(sample)
        ), (
            f"DaemonSet status {ds.desired_number_scheduled} desired, "
            f"{ds.current_number_scheduled} scheduled, {ds.number_ready} ready, "
            f"for {len(sample)} selected nodes"
        )
        return pods

    pods = wait_for("a ready daemon pod on each selected node", on_each_node, 40)
    victim = pods[0].metadata.name
    kube.core.delete_namespaced_pod(victim, kv_namespace)
    wait_for(
        f"the daemon pod replacing {victim}",
        lambda: victim not in [p.metadata.name for p in on_each_node()],
        40,
    )


@standard_base(id="apps/job-completion", needs=["nodes"], timeout=60)
def test_job_completion(kube: Kube, kv_namespace: str) -> None:
    """A Job with 3 completions and parallelism 2 runs its pods to success and is marked Complete
    with a completionTime.
    """
    # A container that exits 0 completes on a real kubelet; on a simulated node kwok reports
    # every Job pod Succeeded, so the same Job completes on either kind of cluster.
    exits = b.container(image=b.BUSYBOX_IMAGE, command=["sh", "-c", "exit 0"])
    template = b.template({"job": "complete"}, exits, restartPolicy="Never")
    kube.batch.create_namespaced_job(
        kv_namespace,
        {
            "metadata": {"name": "complete"},
            "spec": {"completions": 3, "parallelism": 2, "backoffLimit": 2, "template": template},
        },
    )

    def complete() -> Any:
        job = kube.batch.read_namespaced_job("complete", kv_namespace)
        conditions = {c.type: c.status for c in job.status.conditions or []}
        assert conditions.get("Failed") != "True", (
            f"the Job failed: {[c.reason for c in job.status.conditions or []]}"
        )
        assert conditions.get("Complete") == "True", f"{job.status.succeeded or 0} of 3 completions"
        return job

    job = wait_for("the Job to complete", complete, 45)
    assert job.status.succeeded == 3, f"{job.status.succeeded} pods succeeded, expected 3"
    assert job.status.completion_time is not None, "a complete Job has no completionTime"


@standard_base(id="apps/cronjob-schedule", timeout=60)
def test_cronjob_schedule(kube: Kube, kv_namespace: str) -> None:
    """The CronJob controller creates the Job of a missed schedule.

    A minute-schedule would make the test wait for the next minute; instead the CronJob's
    status says it last ran five minutes ago, so the controller finds a missed run at once
    and starts it, exactly as after a controller-manager restart.
    """
    kube.batch.create_namespaced_cron_job(
        kv_namespace,
        {
            "metadata": {"name": "every-minute"},
            "spec": {
                "schedule": "* * * * *",
                "concurrencyPolicy": "Allow",
                "jobTemplate": {
                    "spec": {
                        "template": b.template({"cron": "every-minute"}, restartPolicy="Never")
                    }
                },
            },
        },
    )
    earlier = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    kube.batch.patch_namespaced_cron_job_status(
        "every-minute", kv_namespace, {"status": {"lastScheduleTime": earlier}}
    )

    def job_started() -> Any:
        jobs = kube.batch.list_namespaced_job(kv_namespace).items
        owned = [
            j
            for j in jobs
            if any(
                o.kind == "CronJob" and o.name == "every-minute"
                for o in j.metadata.owner_references or []
            )
        ]
        assert owned, "no Job owned by the CronJob yet"
        return owned[0]

    job = wait_for("the CronJob to start the missed run", job_started, 30)

    def advanced() -> bool:  # the controller records the run just after creating its Job
        last = kube.batch.read_namespaced_cron_job(
            "every-minute", kv_namespace
        ).status.last_schedule_time
        assert last is not None and last > datetime.now(UTC) - timedelta(minutes=2), (
            f"lastScheduleTime is still {last}"
        )
        return True

    wait_for("the CronJob to record the run it started", advanced, 15)
    assert job.metadata.name.startswith("every-minute-"), f"Job named {job.metadata.name}"
