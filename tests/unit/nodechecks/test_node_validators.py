"""system-validators ported as pure functions: kernel release, kernel config, OS, cgroups."""

from __future__ import annotations

import pytest

from nodechecks import validators
from nodechecks.checks.verification import judge_verification, verify
from nodechecks.sysspec import DEFAULT_SYS_SPEC as SPEC
from nodechecks.versions import Version


def items(result: validators.Validation) -> dict[str, tuple[str, str]]:
    return {item["key"]: (item["value"], item["result"]) for item in result.items}


@pytest.mark.parametrize(
    "release",
    ["5.4.0-150-generic", "5.10.0-28-amd64", "5.15.0-1", "6.1.0", "6.18.44-fc-v782", "10.0.1"],
)
def test_supported_kernel_releases(release: str) -> None:
    result = validators.validate_kernel_version(release, SPEC)
    assert items(result)["KERNEL_VERSION"] == (release, "good") and not result.warnings


@pytest.mark.parametrize("release", ["4.19.3", "4.20.3", "5.0.0", "5.12.3", "5.16.3", "3.10.0"])
def test_unsupported_kernel_release_is_only_a_warning(release: str) -> None:
    result = validators.validate_kernel_version(release, SPEC)
    assert not result.errors
    assert result.warnings == [
        f"kernel release {release} is unsupported. " + SPEC.kernel_versions_note
    ]


def full_config(**overrides: str) -> dict[str, str]:
    names = {
        c.name
        for c in SPEC.required
        + SPEC.required_cgroups_v1
        + SPEC.required_cgroups_v2
        + SPEC.optional
        + SPEC.optional_cgroups_v1
    }
    config = {f"CONFIG_{name}": "y" for name in names}
    for name, value in overrides.items():
        if value == "":
            config.pop(f"CONFIG_{name}", None)
        else:
            config[f"CONFIG_{name}"] = value
    return config


def test_complete_config_has_no_findings() -> None:
    for v2 in (False, True):
        result = validators.validate_kernel_config(full_config(), SPEC, cgroup_v2=v2)
        assert not result.errors and not result.warnings
        assert items(result)["CONFIG_NAMESPACES"] == ("enabled", "good")


def test_per_cgroup_version_lists() -> None:
    config = full_config(CGROUP_BPF="", CGROUP_FREEZER="", CGROUP_CPUACCT="", CGROUP_DEVICE="")
    v1 = validators.validate_kernel_config(config, SPEC, cgroup_v2=False)
    assert v1.errors == [
        "unexpected kernel config: CONFIG_CGROUP_CPUACCT CONFIG_CGROUP_DEVICE CONFIG_CGROUP_FREEZER"
    ]
    assert "CONFIG_CGROUP_BPF" not in items(v1)
    v2 = validators.validate_kernel_config(config, SPEC, cgroup_v2=True)
    assert v2.errors == ["unexpected kernel config: CONFIG_CGROUP_BPF"]
    assert items(v2)["CONFIG_CGROUP_BPF"] == (
        "not set - Required for eBPF programs attached to cgroups, used in device controller.",
        "bad",
    )
    assert "CONFIG_CGROUP_FREEZER" not in items(v2)  # no v1-only options on v2 (issue #51)


def test_aliases() -> None:
    config = full_config(NETFILTER_XT_TARGET_REDIRECT="", OVERLAY_FS="")
    config["CONFIG_IP_NF_TARGET_REDIRECT"] = "m"
    config["CONFIG_OVERLAYFS_FS"] = "y"
    result = validators.validate_kernel_config(config, SPEC, cgroup_v2=True)
    assert not result.errors and not result.warnings
    assert items(result)["CONFIG_IP_NF_TARGET_REDIRECT"] == ("enabled (as module)", "good")
    assert items(result)["CONFIG_OVERLAYFS_FS"] == ("enabled", "good")


def test_missing_alias_is_reported_under_the_last_name_tried_as_upstream() -> None:
    result = validators.validate_kernel_config(
        full_config(NETFILTER_XT_TARGET_REDIRECT=""), SPEC, cgroup_v2=True
    )
    assert items(result)["CONFIG_IP_NF_TARGET_REDIRECT"] == ("not set", "bad")
    assert result.errors == ["unexpected kernel config: CONFIG_IP_NF_TARGET_REDIRECT"]


def test_disabled_module_and_optional() -> None:
    config = full_config(MEMCG="n", NAMESPACES="m", SECCOMP="", AUFS_FS="n")
    result = validators.validate_kernel_config(config, SPEC, cgroup_v2=True)
    found = items(result)
    assert found["CONFIG_MEMCG"] == ("disabled", "bad")
    assert found["CONFIG_NAMESPACES"] == ("enabled (as module)", "good")
    assert found["CONFIG_SECCOMP"] == ("not set - Required for seccomp.", "warn")
    assert found["CONFIG_AUFS_FS"] == ("disabled - Required for aufs.", "warn")
    assert result.errors == ["unexpected kernel config: CONFIG_MEMCG"]


def test_missing_kernel_config_warns_never_fails() -> None:
    result = validators.missing_kernel_config(["/proc/config.gz", "/boot/config-x"])
    assert not result.errors and result.warnings[0].startswith("cannot determine")
    assert items(result)["KERNEL_CONFIG"] == ("not found", "warn")


def test_os() -> None:
    assert items(validators.validate_os("Linux", SPEC))["OS"] == ("Linux", "good")
    bad = validators.validate_os("Darwin", SPEC)
    assert bad.errors == ["unsupported operating system: Darwin"]


V2_ALL = ["devices", "freezer", "cpuset", "cpu", "io", "memory", "hugetlb", "pids"]
V1_ALL = ["cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer", "hugetlb", "pids"]


def test_cgroups_v2_complete_and_missing() -> None:
    ok = validators.validate_cgroups(2, V2_ALL, SPEC, Version.parse("1.37.0"))
    assert not ok.errors and not ok.warnings
    assert items(ok)["CGROUPS_IO"] == ("enabled", "good")
    missing = validators.validate_cgroups(2, ["devices", "cpu", "memory"], SPEC, None)
    assert missing.errors == ["missing required cgroups: cpuset freezer pids"]
    assert missing.warnings == ["missing optional cgroups: hugetlb io"]
    assert items(missing)["CGROUPS_PIDS"] == ("missing", "bad")
    assert items(missing)["CGROUPS_HUGETLB"] == ("missing", "warn")


@pytest.mark.parametrize(
    ("kubelet", "is_error"),
    [
        ("1.35.0", True),
        ("1.37.2", True),
        ("1.35.0-alpha.1", True),
        ("1.34.9", False),
        (None, False),
    ],
)
def test_cgroup_v1_deprecation_severity_follows_the_kubelet(
    kubelet: str | None, is_error: bool
) -> None:
    version = Version.parse(kubelet) if kubelet else None
    result = validators.validate_cgroups(1, V1_ALL, SPEC, version)
    target = result.errors if is_error else result.warnings
    assert target == [validators.CGROUP_V1_DEPRECATION]


def test_cgroup_v1_errors_are_appended_not_overwritten() -> None:
    subsystems = [s for s in V1_ALL if s != "pids"]
    result = validators.validate_cgroups(1, subsystems, SPEC, Version.parse("1.37.0"))
    assert result.errors == [validators.CGROUP_V1_DEPRECATION, "missing required cgroups: pids"]


def test_verify_reports_every_item_in_order() -> None:
    result = verify(
        "6.1.0", ("/proc/config.gz", full_config()), "Linux", 2, V2_ALL, Version.parse("1.37.2")
    )
    keys = [item["key"] for item in result.items]
    assert keys[0] == "KERNEL_VERSION" and keys[1] == "CONFIG_NAMESPACES"
    assert keys.index("OS") < keys.index("CGROUPS_CPU")
    assert len([k for k in keys if k.startswith("CONFIG_")]) == 24  # 17 required + 7 optional
    finding = judge_verification(result)
    assert finding.status.value == "pass"
    assert finding.details["report"][0] == {
        "key": "KERNEL_VERSION",
        "value": "6.1.0",
        "result": "good",
    }


def test_verify_without_config_and_on_v1() -> None:
    result = verify("4.19.0", None, "Linux", 1, V1_ALL, Version.parse("1.34.0"))
    assert not result.errors
    assert len(result.warnings) == 3  # kernel release, no config, cgroup v1
    assert judge_verification(result).status.value == "warn"
    v1_config = verify("6.1.0", ("/boot/config", full_config()), "Linux", 1, V1_ALL, None)
    assert len([i for i in v1_config.items if i["key"].startswith("CONFIG_")]) == 26
