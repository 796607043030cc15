"""Semantic versions as kubeadm compares them (``k8s.io/apimachinery/pkg/util/version``).

Only what the node checks need: parse ``v1.37.2``, ``1.35.0-0``, ``v1.36.0-rc.1+abc``; order by
major, minor, patch, then pre-release (a pre-release sorts before its release). Written by hand
because the rule set is small and exact, and a semver library would not match apimachinery's
handling of the ``v`` prefix anyway.
"""

from __future__ import annotations

import re
from functools import total_ordering

from kubeadm_verify.nodesettings import VERSION_PATTERN
from kubeadm_verify.pins import KUBEADM_VERSION
from kubeadm_verify.record import record

_SEMVER = re.compile(VERSION_PATTERN)
# Compiled at first use (re's own cache), not on import: most runs never need it, and the
# node tier's start is timed against kubeadm's.
KUBELET_VERSION_LINE = (
    r"^\s*Kubernetes v((0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)([-0-9a-zA-Z_\.+]*)?)\s*$"
)


@total_ordering
@record
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _SEMVER.match(text.strip())
        if match is None:
            raise ValueError(f"could not parse {text!r} as a version")
        pre = tuple(match.group(4).split(".")) if match.group(4) else ()
        return cls(int(match.group(1)), int(match.group(2)), int(match.group(3)), pre)

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
        # A release sorts after all of its pre-releases; numeric identifiers before alphanumeric.
        pre = tuple((0, int(p)) if p.isdigit() else (1, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def at_least(self, text: str) -> bool:
        return not self < Version.parse(text)

    def __str__(self) -> str:
        text = f"v{self.major}.{self.minor}.{self.patch}"
        return text + ("-" + ".".join(self.pre) if self.pre else "")


def parse_kubelet_version(output: str) -> Version:
    """The version in ``kubelet --version`` output (``Kubernetes v1.37.2``), as kubeadm reads it."""
    match = re.match(KUBELET_VERSION_LINE, output)
    if match is None:
        raise ValueError(f"could not parse kubelet version output {output.strip()[:80]!r}")
    return Version.parse(match.group(1))


def skewed(version: Version, minors: int) -> Version:
    """``major.(minor+minors).0`` as kubeadm's ``getSkewedKubernetesVersion`` computes it."""
    return Version(version.major, max(version.minor + minors, 0), 0)


def minimum_kubelet_version() -> Version:
    """kubeadm v1.37's ``MinimumKubeletVersion``: its own minor − 3."""
    return skewed(Version.parse(KUBEADM_VERSION), -3)
