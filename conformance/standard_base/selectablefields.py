"""Field selectors on custom resources: the sequence upstream's selectable-fields spec runs.

Upstream (test/e2e/apimachinery/crd_selectable_fields.go, v1.37.2) gives a CRD two versions that
name the same data differently: v1 ``hostPort`` (``host1:80``), v2 ``host`` and ``port``, each
version's ``selectableFields`` its own paths. Three objects are written as v2; lists and watches
select by either version's fields; one object is deleted by a field-selected collection delete,
another updated out of a selection. What is judged is the API server's: it filters each version
on that version's view of an object, refuses a field the version does not select (400, "field
label not supported"), and tells a watch that an object left its selection (DELETED).

:func:`exercise` runs that sequence against any such CRD, however v1's ``hostPort`` comes to be:
converted by a webhook, or written beside ``host`` and ``port`` by the test itself.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from conformance.standard_base import builders as b
from conformance.standard_base.kube import EventStream, Kube, refused, server_said, wait_for

WATCH_S = 20
"""Each watch ends by itself after this long; the whole sequence takes a second or two."""
QUIET_S = 0.3

A, B, C = "cr-host1-80", "cr-host1-8080", "cr-host2"
"""Upstream's three objects, named for their fields so a failure reads: host1 and port 80, host1
and port 8080, host2 without a port."""
FIELDS: dict[str, tuple[str, str | None]] = {
    A: ("host1", "80"),
    B: ("host1", "8080"),
    C: ("host2", None),
}

Body = Callable[[str, str | None], dict[str, Any]]
"""The fields of an object written as v2 with this host and port (None: no port)."""


@dataclass(frozen=True)
class Resource:
    """A namespaced custom resource of a test's own CRD."""

    group: str
    plural: str
    kind: str
    namespace: str

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{self.group}"

    def at(self, version: str) -> tuple[str, str, str, str]:
        """The first arguments of every namespaced ``CustomObjectsApi`` call."""
        return (self.group, version, self.namespace, self.plural)


def version(
    name: str, storage: bool, properties: list[str], selectable: list[str]
) -> dict[str, Any]:
    """One CRD version: string ``properties`` at the top level, the paths it selects on.

    Each version's schema says its name: identical per-version schemas are hoisted to the CRD's
    top level when the API server reads the CRD, and per-version ``selectableFields`` are then
    refused (422), so two versions with the same fields must differ somewhere.
    """
    schema = {
        "type": "object",
        "description": f"version {name}",
        "properties": {p: {"type": "string"} for p in properties},
    }
    return {
        "name": name,
        "served": True,
        "storage": storage,
        "schema": {"openAPIV3Schema": schema},
        "selectableFields": [{"jsonPath": f".{field}"} for field in selectable],
    }


def crd(
    resource: Resource, run_id: str, versions: list[dict[str, Any]], **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": b.metadata(resource.crd_name, b.run_labels(run_id)),
        "spec": {
            "group": resource.group,
            "scope": "Namespaced",
            "names": {
                "plural": resource.plural,
                "singular": resource.plural[:-1],
                "kind": resource.kind,
            },
            "versions": versions,
            **spec,
        },
    }


def established(kube: Kube, name: str) -> bool:
    made = kube.extensions.read_custom_resource_definition(name)
    conditions = (made.status.conditions or []) if made.status else []
    return any(c.type == "Established" and c.status == "True" for c in conditions)


def serves(kube: Kube, resource: Resource, versions: tuple[str, ...]) -> bool:
    """Whether every version lists and watches yet: 404 until the resource is routed, 429
    while its watch cache initialises."""
    try:
        for name in versions:
            with kube.events(
                kube.custom.list_namespaced_custom_object, *resource.at(name), timeout=1
            ):
                pass
    except client.ApiException as exc:
        if exc.status in (404, 429):
            return False
        raise
    return True


def writable(kube: Kube, resource: Resource) -> bool:
    """Write an object as v2 (stored as v1: through the conversion, if there is one), and delete
    it again. Until the API server's admission has learnt the new kind, a write of it is
    answered 503 (for a few seconds, when an admission policy matches every resource); a
    conversion webhook that does not answer yet fails the write too."""
    stub = {
        "apiVersion": f"{resource.group}/v2",
        "kind": resource.kind,
        "metadata": {"name": "stub"},
    }
    try:
        kube.custom.create_namespaced_custom_object(*resource.at("v2"), stub)
    except client.ApiException as exc:
        raise AssertionError(f"HTTP {exc.status}: {_said(exc)}") from None
    kube.custom.delete_namespaced_custom_object(*resource.at("v2"), "stub")
    return True


def wait_served(kube: Kube, resource: Resource) -> None:
    """Until the new resource is Established, lists and watches in both versions, and takes a
    write: what a client of a CRD just made may have to wait for, never a fault."""
    name = resource.crd_name
    wait_for(f"CRD {name} to be Established", lambda: established(kube, name), 20)
    wait_for(
        f"{name} v1 and v2 to list and watch", lambda: serves(kube, resource, ("v1", "v2")), 10
    )
    wait_for(f"{name} to take a write as v2", lambda: writable(kube, resource), 10)


def _names(listing: Any) -> list[str]:
    return sorted(item["metadata"]["name"] for item in listing["items"])


def _said(exc: client.ApiException) -> str:
    return server_said(exc.body)


class _Selection:
    """Reads by field selector on one resource, each failure naming the version and selector."""

    def __init__(self, kube: Kube, resource: Resource) -> None:
        self.custom = kube.custom
        self.kube = kube
        self.resource = resource

    def listing(self, version: str, selector: str) -> Any:
        try:
            return self._list(version, selector)
        except client.ApiException as exc:
            raise AssertionError(
                f"a {version} list with {selector}: HTTP {exc.status}: {_said(exc)}"
            ) from None

    def expect(self, version: str, selector: str, want: set[str]) -> None:
        got = _names(self.listing(version, selector))
        assert got == sorted(want), (
            f"a {version} list with {selector} holds {got}, not {sorted(want)}"
        )

    @contextmanager
    def watch(self, version: str, selector: str, since: str | None = None) -> Iterator[EventStream]:
        call = self.custom.list_namespaced_custom_object
        try:
            stream = self.kube.events(
                call,
                *self.resource.at(version),
                timeout=WATCH_S,
                field_selector=selector,
                resource_version=since,
            )
        except client.ApiException as exc:
            raise AssertionError(
                f"a {version} watch with {selector}: HTTP {exc.status}: {_said(exc)}"
            ) from None
        with stream:
            yield stream

    def refuses(self, version: str, selector: str, label: str) -> None:
        """A list and a watch on a field ``version`` does not select are refused (400)."""
        for how, call in (
            ("list", lambda: self._list(version, selector)),
            ("watch", lambda: self._watch_once(version, selector)),
        ):
            exc = refused(f"a {version} {how} with {selector}", call)
            said = _said(exc)
            assert exc.status == 400 and f"field label not supported: {label}" in said, (
                f"a {version} {how} with {selector} ({label} is not selectable in {version}): "
                f"expected 400 'field label not supported: {label}', got HTTP {exc.status}: {said}"
            )

    def _list(self, version: str, selector: str) -> Any:
        return self.custom.list_namespaced_custom_object(
            *self.resource.at(version), field_selector=selector
        )

    def _watch_once(self, version: str, selector: str) -> None:
        with self.kube.events(
            self.custom.list_namespaced_custom_object,
            *self.resource.at(version),
            timeout=1,
            field_selector=selector,
        ):
            pass


def _events(stream: EventStream, what: str, added: list[str], deleted: list[str]) -> None:
    """``stream`` gives ADDED for each of ``added`` then DELETED for each of ``deleted``, in that
    order (the order of the writes), and nothing else."""
    for kind, names in (("ADDED", added), ("DELETED", deleted)):
        for name in names:
            event = stream.next()
            got = (
                "the end of the watch"
                if event is None
                else (f"{event['type']} {event['object'].get('metadata', {}).get('name')}")
            )
            assert got == f"{kind} {name}", f"the watch {what}: expected {kind} {name}, got {got}"
    try:
        stream.assert_quiet(QUIET_S)
    except AssertionError as exc:
        raise AssertionError(f"the watch {what}: {exc}") from None


def exercise(kube: Kube, resource: Resource, body: Body) -> str:
    """Upstream's sequence: watches opened first, three objects written as v2, lists by field,
    refusals, a collection deleted by field, an object updated out of a selection, and what each
    list, watch and resumed watch (an informer's list then watch) then holds. Returns a warning
    when the resumed watch could not be asked (``_resumed``), else ''."""
    custom = kube.custom
    on = _Selection(kube, resource)
    with ExitStack() as stack:
        by_host = stack.enter_context(on.watch("v2", "host=host1"))
        by_host_port = stack.enter_context(on.watch("v2", "host=host1,port=80"))
        by_host_port_v1 = stack.enter_context(on.watch("v1", "hostPort=host1:80"))
        for name, (host, port) in FIELDS.items():
            manifest = {
                "apiVersion": f"{resource.group}/v2",
                "kind": resource.kind,
                "metadata": {"name": name},
                **body(host, port),
            }
            custom.create_namespaced_custom_object(*resource.at("v2"), manifest)
        on.expect("v2", "host=host1", {A, B})
        on.expect("v2", "host=host1,port=80", {A})
        on.expect("v2", "host!=host1", {C})
        on.expect("v1", "hostPort=host1:80", {A})
        on.expect("v1", "hostPort=host1:8080", {B})
        on.refuses("v1", "host=host1", "host")
        on.refuses("v2", "hostPort=host1:80", "hostPort")
        informer_rv = on.listing("v2", "host=host1")["metadata"]["resourceVersion"]

        custom.delete_collection_namespaced_custom_object(
            *resource.at("v2"), field_selector="host=host1,port=80", grace_period_seconds=0
        )
        moved = custom.get_namespaced_custom_object(*resource.at("v2"), B)
        moved.update(body("host2", "8080"))
        custom.replace_namespaced_custom_object(*resource.at("v2"), B, moved)

        on.expect("v2", "host=host1", set())
        on.expect("v2", "host=host1,port=80", set())
        on.expect("v2", "host=host2", {B, C})
        on.expect("v1", "hostPort=host2:8080", {B})
        _events(by_host, "v2 host=host1", [A, B], [A, B])
        _events(by_host_port, "v2 host=host1,port=80", [A], [A])
        _events(by_host_port_v1, "v1 hostPort=host1:80", [A], [A])
    return _resumed(on, informer_rv, [A, B])


RESUME_S = 10.0
"""How long a watch resumed from a list's resourceVersion is asked again after a 410: with
several API servers behind one address, the list and the watch may reach different ones, and a
watch cache that began after that resourceVersion (a CRD just made) cannot reach back to it."""


def _resumed(on: _Selection, since: str, deleted: list[str]) -> str:
    """A watch resumed from ``since`` (an informer's list then watch) sees ``deleted`` go. A
    410 (too old resource version) is asked again, as a client's reflector would, within
    ``RESUME_S``; any other failure is the verdict at once. A 410 to the end is a lawful
    answer, not a fault (a reflector then lists again, which tells nothing of a resumed
    watch): the test cannot determine, and says so in the warning returned; else ''."""
    what = "v2 host=host1 resumed from its list's resourceVersion"
    too_old: list[str] = []

    def seen() -> bool:
        try:
            with on.watch("v2", "host=host1", since=since) as resumed:
                _events(resumed, what, [], deleted)
        except AssertionError as exc:
            if "too old resource version" in str(exc):
                too_old[:] = [str(exc)]
                return False  # asked again by the wait
            raise _Final(str(exc)) from None
        return True

    try:
        wait_for(f"the watch {what}", seen, RESUME_S, interval=0.5)
    except _Final as final:
        raise AssertionError(str(final)) from None
    except AssertionError:
        if not too_old:
            raise
        return (
            f"cannot determine whether the watch {what} sees the deletions: for {RESUME_S:g}s "
            f"every API server asked answered 410 ({too_old[0]})"
        )
    return ""


class _Final(Exception):
    """A resumed watch's failure that asking again cannot change."""
