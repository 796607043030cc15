"""Every node check as a pytest test, so the tier runs in-process or under plain pytest."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from kubeadm_verify.checks import Check, execute
from kubeadm_verify.results import Status
from kubeadm_verify.runner import RESULT_PROPERTY
from nodechecks.catalog import for_run
from nodechecks.checks import REGISTRY
from nodechecks.context import NodeContext


@pytest.mark.parametrize("check", list(REGISTRY), ids=lambda check: check.id)
def test_check(
    check: Check[NodeContext],
    node_context: NodeContext,
    record_property: Callable[[str, object], None],
) -> None:
    check = for_run(check, node_context)
    result = execute(check, node_context, role=node_context.role, ignored=node_context.ignored)
    record_property(RESULT_PROPERTY, json.dumps(result.as_dict(), default=str))
    if result.status is Status.SKIP:
        pytest.skip(result.message)
    if result.status in (Status.FAIL, Status.ERROR):
        pytest.fail(f"[{result.id}] {result.message}", pytrace=False)
