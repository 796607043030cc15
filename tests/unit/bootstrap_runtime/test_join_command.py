"""The join command reaches the operator without putting the token's secret in a log."""

from __future__ import annotations

import stat

from bootstrap.kubeadm.configtypes import BootstrapConfig
from bootstrap.kubeadm.tokens import parse_token
from bootstrap.phases.init import masked, show_join_command
from bootstrap.runtime.state import StateDir


def test_show_join_command_keeps_the_secret_in_a_private_file(
    kv_bootstrap_config: BootstrapConfig, kv_pki: StateDir
) -> None:
    lines: list[str] = []
    show_join_command(kv_bootstrap_config, kv_pki, lines.append)
    token = parse_token(kv_bootstrap_config.bootstrap_tokens[0].token)
    text = "\n".join(lines)
    assert token.secret not in text
    assert "--discovery-token-ca-cert-hash sha256:" in text
    token_file = kv_pki.root / f"bootstrap-token-{token.id}"
    assert f'--token "$(cat {token_file})"' in text
    assert token_file.read_text() == token.value
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_a_masked_token_shows_only_its_id() -> None:
    token = parse_token("abcdef.0123456789abcdef")
    assert masked(token) == "abcdef." + "*" * 16
