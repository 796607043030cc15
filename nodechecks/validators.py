"""system-validators' kernel, OS and cgroups validators as pure functions over facts.

Each returns a ``Validation``: the reporter items (``KERNEL_VERSION: 6.1.0``,
``CONFIG_NAMESPACES: enabled``, ``CGROUPS_PIDS: missing``), the warnings and the errors. They match
upstream v1.12.x except where noted: a missing kernel config is a warning (upstream runs
``modprobe configs`` and then fails), and the cgroup v1 deprecation error is kept beside a
missing-controllers error (upstream overwrites the one with the other).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from kubeadm_verify.record import field, mutable_record
from nodechecks.sysspec import KernelConfig, SysSpec
from nodechecks.versions import Version

GOOD, BAD, WARN = "good", "bad", "warn"
CGROUP_V1_DEPRECATION = (
    "cgroups v1 support is deprecated and will be removed in a future release. Please migrate "
    "to cgroups v2. To explicitly enable cgroups v1 support for kubelet v1.35 or newer, you must "
    "set the kubelet configuration option 'FailCgroupV1' to 'false'. You must also explicitly "
    "skip this validation. For more information, see "
    "https://git.k8s.io/enhancements/keps/sig-node/5573-remove-cgroup-v1"
)
CGROUP_V1_ERROR_FROM = "1.35.0-0"


@mutable_record
class Validation:
    items: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def report(self, key: str, value: str, result: str) -> None:
        self.items.append({"key": key, "value": value, "result": result})

    def extend(self, other: Validation) -> None:
        self.items += other.items
        self.warnings += other.warnings
        self.errors += other.errors


def validate_kernel_version(release: str, spec: SysSpec) -> Validation:
    """A release matching none of the spec's regexes is a warning (since system-validators #49)."""
    result = Validation()
    if any(re.match(pattern, release) for pattern in spec.kernel_versions):
        result.report("KERNEL_VERSION", release, GOOD)
    else:
        result.report("KERNEL_VERSION", release, WARN)
        note = spec.kernel_versions_note
        result.warnings.append(f"kernel release {release} is unsupported. {note}")
    return result


def kernel_config_lists(
    spec: SysSpec, cgroup_v2: bool
) -> tuple[tuple[KernelConfig, ...], tuple[KernelConfig, ...], tuple[KernelConfig, ...]]:
    """Required, optional and forbidden options for this host's cgroup version."""
    if cgroup_v2:
        return (
            spec.required + spec.required_cgroups_v2,
            spec.optional + spec.optional_cgroups_v2,
            spec.forbidden,
        )
    return (
        spec.required + spec.required_cgroups_v1,
        spec.optional + spec.optional_cgroups_v1,
        spec.forbidden,
    )


def validate_kernel_config(
    options: Mapping[str, str], spec: SysSpec, *, cgroup_v2: bool
) -> Validation:
    """Look each option up by name, then by its aliases; all bad ones make one error.

    As upstream, an option found under none of its names is reported under the last name tried.
    """
    result = Validation()
    bad: list[str] = []
    required, optional, forbidden = kernel_config_lists(spec, cgroup_v2)
    for configs, (found, missing) in (
        (required, (GOOD, BAD)),
        (optional, (GOOD, WARN)),
        (forbidden, (BAD, GOOD)),
    ):
        for config in configs:
            name, value = _lookup(options, config)
            if value is None:
                message, outcome = "not set", missing
            elif value == "y":
                message, outcome = "enabled", found
            elif value == "m":
                message, outcome = "enabled (as module)", found
            elif value == "n":
                message, outcome = "disabled", missing
            else:
                message, outcome = f"unknown option: {value}", missing
            if outcome != GOOD and config.description:
                message += " - " + config.description
            if outcome == BAD:
                bad.append(name)
            result.report(name, message, outcome)
    if bad:
        result.errors.append("unexpected kernel config: " + " ".join(bad))
    return result


def _lookup(options: Mapping[str, str], config: KernelConfig) -> tuple[str, str | None]:
    name = ""
    for candidate in (config.name, *config.aliases):
        name = "CONFIG_" + candidate
        if name in options:
            return name, options[name]
    return name, None


def missing_kernel_config(searched: Sequence[str]) -> Validation:
    """No config file anywhere: a warning (upstream: modprobe configs, then an error)."""
    result = Validation()
    result.report("KERNEL_CONFIG", "not found", WARN)
    result.warnings.append(
        "cannot determine the kernel configuration: no config file in "
        f"[{' '.join(searched)}]; kernel options were not verified"
    )
    return result


def validate_os(ostype: str, spec: SysSpec) -> Validation:
    result = Validation()
    if ostype == spec.os:
        result.report("OS", ostype, GOOD)
    else:
        result.report("OS", ostype, BAD)
        result.errors.append(f"unsupported operating system: {ostype}")
    return result


def validate_cgroups(
    version: int, subsystems: Sequence[str], spec: SysSpec, kubelet_version: Version | None
) -> Validation:
    """Required and optional controllers per cgroup version, and the cgroup v1 deprecation:
    an error for kubelet ≥ 1.35, a warning for older kubelets or when the version is unknown."""
    result = Validation()
    if version == 2:
        required, optional = spec.cgroups_v2, spec.cgroups_v2_optional
    else:
        required, optional = spec.cgroups, spec.cgroups_optional
        if kubelet_version is not None and kubelet_version.at_least(CGROUP_V1_ERROR_FROM):
            result.errors.append(CGROUP_V1_DEPRECATION)
        else:
            result.warnings.append(CGROUP_V1_DEPRECATION)
    available = set(subsystems)
    missing_required = _report_cgroups(result, required, available, BAD)
    missing_optional = _report_cgroups(result, optional, available, WARN)
    if missing_required:
        result.errors.append("missing required cgroups: " + " ".join(missing_required))
    if missing_optional:
        result.warnings.append("missing optional cgroups: " + " ".join(missing_optional))
    return result


def unknown_cgroups(version: int, spec: SysSpec, kubelet_version: Version | None) -> Validation:
    """The controllers could not be listed (the root lacks the file): say so, judge nothing
    about them, but keep the cgroup v1 deprecation, which needs only the version."""
    result = validate_cgroups(version, [], spec, kubelet_version)
    result.items = [{"key": "CGROUPS", "value": "cannot determine", "result": WARN}]
    result.errors = [e for e in result.errors if not e.startswith("missing required cgroups")]
    result.warnings = [w for w in result.warnings if not w.startswith("missing optional cgroups")]
    result.warnings.append(
        "cannot determine the cgroup controllers: the file listing them "
        "(/proc/cgroups or cgroup.controllers) is not there"
    )
    return result


def _report_cgroups(
    result: Validation, names: Sequence[str], available: set[str], outcome: str
) -> list[str]:
    missing = []
    for name in names:
        key = "CGROUPS_" + name.upper()
        if name in available:
            result.report(key, "enabled", GOOD)
        else:
            result.report(key, "missing", outcome)
            missing.append(name)
    return missing
