"""The reader pod for a kubelet's serving certificate, and what is kept of what it prints."""

from __future__ import annotations

from conformance.standard_base.servingcert import MOUNTED, certificates, reader_pod

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
    assert spec["containers"][0]["command"][-1] == MOUNTED
    assert {"operator": "Exists"} in spec["tolerations"]
