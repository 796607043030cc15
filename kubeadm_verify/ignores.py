"""``--ignore-preflight-errors`` with kubeadm's semantics.

Names are case-insensitive; ``all`` ignores everything and may not be combined with other names
(kubeadm: "don't specify individual checks if 'all' is used"). An ignored error is downgraded to
a warning, not skipped: that part lives in ``kubeadm_verify.checks.execute``.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubeadm_verify.errors import UsageError


def parse_ignore_list(value: str | Iterable[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    names = sorted({item.strip().lower() for item in items if item.strip()})
    if "all" in names and len(names) > 1:
        raise UsageError("don't specify individual checks if 'all' is used")
    return names


def unknown_names(ignored: Iterable[str], known_ids: Iterable[str]) -> list[str]:
    known = {check_id.lower() for check_id in known_ids}
    return sorted(name for name in ignored if name != "all" and name not in known)
