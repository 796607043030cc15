"""The README lists every preflight error the kubeadm-driven clusters ignore, with its reason,
and no other: the list in the code is the one kubeadm is given (``ignorePreflightErrors``)."""

from __future__ import annotations

import re
from pathlib import Path

from bootstrap.kubeadmrun.kubeadmconfig import IGNORED_PREFLIGHT_ERRORS

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_names_each_ignored_preflight_error_with_its_reason() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The real kubeadm at the wheel") :]
    section = section[: section.index("\n## ")]
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.+) \|$", section, flags=re.MULTILINE))
    assert rows == IGNORED_PREFLIGHT_ERRORS
