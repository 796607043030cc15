"""The OpenAPI documents the API server publishes for a CustomResourceDefinition's versions.

Upstream reads /openapi/v2 for the definition of each served version (named
``<reversed group>.<version>.<Kind>``) and compares its schema with the CRD's; this test reads the
same while one version is renamed and then no longer served. Each change is republished within a
few seconds; every wait for it is bounded (upstream allows a minute). /openapi/v3 is not what
these specs hold: v1.37 keeps serving a renamed version's old /openapi/v3 document (seen here for
more than 25 s after the rename), while /openapi/v2 drops it at once.

PYTEST_DONT_REWRITE: a failure says its assertion's own message and nothing else.
"""

from __future__ import annotations

import secrets
from typing import Any

from conformance.standard_base import builders as b
from conformance.standard_base.kube import Kube, RawResponse, gone, server_said, wait_for
from conformance.standard_base.marker import standard_base

SIG = "[sig-api-machinery] CustomResourcePublishOpenAPI [Privileged:ClusterAdmin]"
PUBLISH_WAIT_S = 15
POLL_S = 0.5  # /openapi/v2 is megabytes; an unchanged one answers 304 to its ETag
KIND = "E2eTestFoo"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Foo CRD for Testing",
    "properties": {
        "spec": {
            "type": "object",
            "description": "Specification of Foo",
            "properties": {
                "bars": {
                    "type": "array",
                    "description": "List of Bars and their specs.",
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "name": {"type": "string", "description": "Name of Bar."},
                            "age": {"type": "string", "description": "Age of Bar."},
                        },
                    },
                }
            },
        },
        "status": {"type": "object", "description": "Status of Foo"},
    },
}


def _crd(group: str, run_id: str, versions: tuple[str, ...]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": b.metadata(f"e2etestfoos.{group}", b.run_labels(run_id)),
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "e2etestfoos", "singular": "e2etestfoo", "kind": KIND},
            "versions": [
                {
                    "name": v,
                    "served": True,
                    "storage": i == 0,
                    "schema": {"openAPIV3Schema": SCHEMA},
                }
                for i, v in enumerate(versions)
            ],
        },
    }


class Published:
    """What the API server publishes for one CRD's versions in /openapi/v2."""

    def __init__(self, kube: Kube, group: str) -> None:
        self.kube, self.group = kube, group
        self._etag = ""
        self._v2: dict[str, Any] = {}

    def name(self, version: str) -> str:
        return f"{'.'.join(reversed(self.group.split('.')))}.{version}.{KIND}"

    def v2_definitions(self) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if self._etag:
            headers["If-None-Match"] = self._etag
        answer = self.kube.raw("GET", "/openapi/v2", headers=headers)
        if answer.status != 304:
            _ok(answer, "/openapi/v2")
            self._etag = answer.headers.get("ETag") or answer.headers.get("etag") or ""
            self._v2 = answer.json().get("definitions") or {}
        return self._v2

    def check(self, served: tuple[str, ...], gone_versions: tuple[str, ...]) -> bool:
        """Each of ``served`` published with the CRD's schema, each of ``gone_versions`` not at
        all (an AssertionError says what is not so yet)."""
        v2 = self.v2_definitions()
        for version in served:
            _matches(v2.get(self.name(version)), f"/openapi/v2 {self.name(version)}")
        for version in gone_versions:
            assert self.name(version) not in v2, f"/openapi/v2 still has {self.name(version)}"
        return True

    def await_state(self, served: tuple[str, ...], gone_versions: tuple[str, ...]) -> None:
        wait_for(
            f"the OpenAPI documents to publish {served} and not {gone_versions}",
            lambda: self.check(served, gone_versions),
            PUBLISH_WAIT_S,
            interval=POLL_S,
        )


def _ok(answer: RawResponse, path: str) -> None:
    assert answer.status == 200, f"GET {path}: HTTP {answer.status}: {server_said(answer.body)}"


def _matches(published: dict[str, Any] | None, where: str) -> None:
    """The published definition carries the CRD's schema: its descriptions, types, required
    fields and nesting (the server adds apiVersion, kind, metadata and extensions of its own)."""
    assert published is not None, f"{where} is not published"
    assert published.get("description") == SCHEMA["description"], f"{where}: another description"
    spec = (published.get("properties") or {}).get("spec") or {}
    assert spec.get("description") == "Specification of Foo", f"{where}: spec is not the CRD's"
    bars = (spec.get("properties") or {}).get("bars") or {}
    assert bars.get("type") == "array", f"{where}: spec.bars is not the CRD's array"
    item = bars.get("items") or {}
    assert item.get("required") == ["name"], f"{where}: spec.bars[] lost its required name"
    names = {k: v.get("description") for k, v in (item.get("properties") or {}).items()}
    assert names == {"name": "Name of Bar.", "age": "Age of Bar."}, (
        f"{where}: spec.bars[] has properties {sorted(names)}"
    )


CRD_DELETE_WAIT_S = 30
"""As the other CRD tests wait: the API server's cleanup finalizer and the CRD controller take
more than 10 s to let a CRD go on a busy machine (seen once in a CI run with several clusters)."""


@standard_base(
    id="api-machinery/crd-openapi-versions",
    conformance=[
        f"{SIG} updates the published spec when one version gets renamed [Conformance]",
        f"{SIG} removes definition from spec when one version gets changed to not be served "
        "[Conformance]",
    ],
    needs=["cluster-admin"],
    timeout=45,
)
def test_crd_openapi_versions(kube: Kube, run_id: str) -> None:
    """The OpenAPI documents publish both versions of a two-version CRD; after one version is
    renamed they publish the new name, not the old, and the other unchanged; after it is no
    longer served they publish only the other.
    """
    group = f"crd-publish-openapi-{secrets.token_hex(4)}.example.com"
    name = f"e2etestfoos.{group}"
    ext = kube.extensions
    ext.create_custom_resource_definition(_crd(group, run_id, ("v2", "v3")))
    published = Published(kube, group)
    try:
        published.await_state(("v2", "v3"), ())
        ext.patch_custom_resource_definition(
            name,
            [
                {"op": "test", "path": "/spec/versions/1/name", "value": "v3"},
                {"op": "replace", "path": "/spec/versions/1/name", "value": "v4"},
            ],
        )
        published.await_state(("v2", "v4"), ("v3",))
        crd = ext.read_custom_resource_definition(name)
        before = int(crd.metadata.resource_version)
        crd.spec.versions[1].served = False
        updated = ext.replace_custom_resource_definition(name, crd)
        assert int(updated.metadata.resource_version) > before, (
            "the updated CRD has no larger resource version"
        )
        published.await_state(("v2",), ("v4",))
    finally:
        ext.delete_custom_resource_definition(name)
    wait_for(
        f"CRD {name} to be deleted",
        lambda: gone(lambda: ext.read_custom_resource_definition(name)),
        CRD_DELETE_WAIT_S,
    )
