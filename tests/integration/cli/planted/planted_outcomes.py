"""Each test fails (or warns, or errors in setup) carrying a planted secret in its outcome.

Named so that only a run asking for ``planted_*.py`` collects it: the suite's own runs never do.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.cli.planted import secrets


def test_assertion_shows_a_token_secret() -> None:
    data = {
        "token-id": secrets.TOKEN_ID,
        "token-secret": secrets.TOKEN_SECRET,
        "usage-bootstrap-authentication": "true",
    }
    assert data["usage-bootstrap-signing"] == "true", f"secret {data}"


def test_assertion_shows_secret_data() -> None:
    secret: dict[str, Any] = {"kind": "Secret", "data": {"token-secret": secrets.SECRET_DATA}}
    assert secret["data"] == {}


def test_exception_carries_a_bearer_and_a_join_command() -> None:
    raise RuntimeError(
        f"Authorization: Bearer {secrets.BEARER}; kubeadm join --token {secrets.TOKEN}"
    )


def test_a_key_and_a_shadow_line_in_a_message() -> None:
    pytest.fail(f"read root:{secrets.HASH}:19000:0:99999:7::: and\n{secrets.PRIVATE_KEY}")


@pytest.fixture
def broken() -> None:
    raise OSError(f"cannot open client-key-data: {secrets.SECRET_DATA}")


def test_setup_error_with_a_key(broken: None) -> None:
    """Errors in setup are reported through a different path than failures."""


def test_warning_property(record_property: Any) -> None:
    record_property("kubeadm_verify.warning", f"password={secrets.BEARER}")
