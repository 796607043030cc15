"""The reader pod for a kubelet's serving certificate, and what is kept of what it prints."""

from __future__ import annotations

from conformance.standard_base.servingcert import (
    MESSAGE_KEPT,
    MOUNTED,
    certificates,
    printed,
    reader_pod,
)

CERT = "-----BEGIN CERTIFICATE-----\nMIIBfzCCASWgAwIBAgIU\nAbC+/=\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"


def test_only_certificate_blocks_are_kept() -> None:
    assert certificates(CERT + KEY + CERT) == CERT + CERT
    assert certificates(KEY) == ""
    assert certificates(CERT.rstrip("\n")) == CERT


def test_the_reader_pod_mounts_just_the_file_read_only_on_that_node() -> None:
    pod = reader_pod("reader", "node-a", "/var/lib/kubelet/pki/kubelet.crt")
    spec = pod["spec"]
    assert spec["nodeName"] == "node-a" and spec["restartPolicy"] == "Never"
    assert spec["volumes"] == [
        {
            "name": "serving-cert",
            "hostPath": {"path": "/var/lib/kubelet/pki/kubelet.crt", "type": "File"},
        }
    ]
    mount = spec["containers"][0]["volumeMounts"][0]
    assert mount["readOnly"] is True and mount["mountPath"] == MOUNTED
    command = spec["containers"][0]["command"]
    assert command[:2] == ["sh", "-c"] and f" {MOUNTED} >/dev/termination-log && " in command[2]
    assert {"operator": "Exists"} in spec["tolerations"]


def _no_log() -> str:
    raise AssertionError("the log was read though the termination message was whole")


def test_the_termination_message_is_what_was_printed_when_whole() -> None:
    """The kubelet reads it off the node before it reports the container ended, so unlike the
    log (read without the certificate under load after the pod had Succeeded) it is whole."""
    assert printed(CERT + CERT, _no_log) == CERT + CERT


def test_the_log_is_read_when_the_kubelet_may_have_cut_the_message_or_gave_none() -> None:
    whole = CERT * (MESSAGE_KEPT // len(CERT) + 1)
    kept = whole[-MESSAGE_KEPT:]
    assert printed(kept, lambda: whole) == whole
    assert printed(None, lambda: CERT) == CERT
