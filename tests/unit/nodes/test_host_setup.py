"""The test command's host set-up: which packages it would install, the inotify limit it raises,
and the one line that says what it did."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bootstrap.upstream.nodeparts import debian, hostsetup
from kubeadm_verify.errors import BootstrapError


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(debian, "_SEARCH", ())
    monkeypatch.setattr(debian, "_CNI_DIRS", (str(tmp_path / "cni"),))
    return tmp_path


def test_missing_extras_follow_the_node_tools_once_each(nowhere: Path) -> None:
    (nowhere / "ip").write_text("#!/bin/sh\n")
    (nowhere / "ip").chmod(0o755)
    missing = hostsetup.missing_packages(
        (("ip", "iproute2"), ("openssl", "openssl"), ("curl", "curl"))
    )
    assert missing[-1] == "openssl"
    assert "iproute2" not in missing
    assert missing.count("curl") == 1
    assert missing[: len(debian.TOOLS)] == [tool.package for tool in debian.TOOLS]


def test_the_inotify_limit_is_raised_only_when_lower(tmp_path: Path) -> None:
    sysctl = tmp_path / "max_user_instances"
    sysctl.write_text("128\n")
    assert hostsetup.raise_inotify_limit(sysctl) == (128, 512)
    assert sysctl.read_text() == "512\n"
    assert hostsetup.raise_inotify_limit(sysctl) is None
    sysctl.write_text("8192\n")
    assert hostsetup.raise_inotify_limit(sysctl) is None
    assert sysctl.read_text() == "8192\n"


def test_no_such_sysctl_is_nothing_to_raise(tmp_path: Path) -> None:
    assert hostsetup.raise_inotify_limit(tmp_path / "absent") is None


def test_an_unreadable_value_is_nothing_known(tmp_path: Path) -> None:
    (tmp_path / "max_user_instances").mkdir()
    assert hostsetup.raise_inotify_limit(tmp_path / "max_user_instances") is None


def test_a_refused_write_is_one_line() -> None:
    # A read-only kernel value below the minimum: even root's write is refused.
    refused = Path("/proc/sys/kernel/cap_last_cap")
    with pytest.raises(BootstrapError, match=r"^cannot raise .* to 512: "):
        hostsetup.raise_inotify_limit(refused)


@pytest.mark.parametrize(
    ("setup", "line"),
    [
        (hostsetup.HostSetup((), None), "host set-up: nothing to do, all in place"),
        (
            hostsetup.HostSetup(("runc", "iptables"), None),
            "host set-up: apt-get installed runc iptables",
        ),
        (
            hostsetup.HostSetup(("runc",), (128, 512)),
            "host set-up: apt-get installed runc; fs.inotify.max_user_instances 128 -> 512",
        ),
    ],
)
def test_one_line_says_what_was_done(setup: hostsetup.HostSetup, line: str) -> None:
    assert setup.line() == line


def test_without_root_or_apt_the_packages_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(BootstrapError, match=r"not root on a Debian host: apt-get install runc"):
        hostsetup.install_packages(["runc", "curl"])


def test_services_stay_stopped_while_packages_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy-rc.d"
    monkeypatch.setattr(hostsetup, "POLICY_RC_D", policy)
    with hostsetup.services_left_stopped():
        assert policy.stat().st_mode & 0o777 == 0o755
        denied = subprocess.run([str(policy), "haproxy", "start"], check=False)
        assert denied.returncode == 101
    assert not policy.exists()
    policy.write_text("#!/bin/sh\nexit 0\n")
    with hostsetup.services_left_stopped():
        assert policy.read_text() == "#!/bin/sh\nexit 0\n"
    assert policy.read_text() == "#!/bin/sh\nexit 0\n"
