"""The README lists every preflight error the kubeadm-driven clusters ignore, with its reason,
and no other: the list in the code is the one kubeadm is given (``ignorePreflightErrors``)."""

from __future__ import annotations

import re
from pathlib import Path

from bootstrap.kubeadmrun.kubeadmconfig import (
    IGNORED_PREFLIGHT_ERRORS,
    UPGRADE_IGNORED_PREFLIGHT_ERRORS,
)

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_names_each_ignored_preflight_error_with_its_reason() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The real kubeadm at the wheel") :]
    section = section[: section.index("\n## ")]
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.+) \|$", section, flags=re.MULTILINE))
    assert rows == IGNORED_PREFLIGHT_ERRORS


def test_the_readme_names_each_error_the_upgrade_ignores_with_its_reason() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Upgrades with kubeadm") :]
    section = section[: section.index("\n## ")]
    section = section[section.index("Preflight errors the upgrade ignores") :]
    section = section[: section.index("\n\n", section.index("|"))]  # that table alone
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.+) \|$", section, flags=re.MULTILINE))
    beyond_init = {
        name: why
        for name, why in UPGRADE_IGNORED_PREFLIGHT_ERRORS.items()
        if name not in IGNORED_PREFLIGHT_ERRORS
    }
    assert rows == beyond_init
