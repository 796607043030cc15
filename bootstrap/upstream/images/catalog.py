"""The images a node needs, under the exact upstream names the kubelet, kubeadm and tests use.

Each is one layer assembled from programs we built (``bootstrap.upstream.nodeparts``) or Debian
installed. kube-proxy, CoreDNS and etcd are tagged as the release's kubeadm names them
(``kubeadm_verify.pins.release_pins``); the test images carry the suite's tags whatever the
release, the aggregator spec's etcd included (the pinned release's, beside the node's own).
Dynamically linked Debian programs (dash, OpenBSD netcat, iptables and its extensions) go in with
the libraries ``ldd`` names, at the same paths, so they run as on the host.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from bootstrap.upstream.images.archive import Entry, ImageSpec
from bootstrap.upstream.images.porter import porter_tls_entries
from bootstrap.upstream.nodeparts import NodeParts
from kubeadm_verify.errors import BootstrapError
from kubeadm_verify.pins import (
    AGNHOST_TAG,
    BUSYBOX_TAG,
    GLIBC_DNS_TESTING_TAG,
    KUBERNETES_VERSION,
    PAUSE_TAGS,
    SAMPLE_APISERVER_TAG,
    release_pins,
)

REGISTRY = "registry.k8s.io"
OWN_REGISTRY = "kubeadm-verify.local"
"""Images we build that are not upstream's, under a name no registry serves."""
XTABLES_COMMANDS = (
    "iptables",
    "iptables-save",
    "iptables-restore",
    "ip6tables",
    "ip6tables-save",
    "ip6tables-restore",
    "iptables-nft",
    "iptables-nft-save",
    "iptables-nft-restore",
    "ip6tables-nft",
    "ip6tables-nft-save",
    "ip6tables-nft-restore",
)
PASSWD = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = b"root:x:0:\nnogroup:x:65534:\n"


def pause_tags() -> tuple[str, ...]:
    return tuple(f"{REGISTRY}/pause:{tag}" for tag in PAUSE_TAGS)


def coredns_tag(version: str) -> str:
    """The CoreDNS image ``version``'s kubeadm deploys."""
    return f"{REGISTRY}/coredns/coredns:{release_pins(version).coredns_version}"


def etcd_tag(version: str) -> str:
    """The etcd image ``version``'s kubeadm runs as a static pod."""
    return f"{REGISTRY}/etcd:{release_pins(version).etcd_image_tag}"


def suite_etcd_tags(version: str) -> list[str]:
    """The etcd the suite's aggregator spec runs beside the sample API server (the pinned
    release's, as upstream's e2e of that release asks), where ``version``'s own is another."""
    suite = etcd_tag(KUBERNETES_VERSION)
    return [] if suite == etcd_tag(version) else [suite]


def image_names(version: str) -> list[str]:
    """Every tag a node of ``version`` has loaded before anything may ask for it."""
    return [
        *pause_tags(),
        f"{REGISTRY}/e2e-test-images/busybox:{BUSYBOX_TAG}",
        f"{REGISTRY}/e2e-test-images/agnhost:{AGNHOST_TAG}",
        f"{REGISTRY}/e2e-test-images/glibc-dns-testing:{GLIBC_DNS_TESTING_TAG}",
        f"{REGISTRY}/kube-proxy:{version}",
        coredns_tag(version),
        etcd_tag(version),
        *suite_etcd_tags(version),
        f"{OWN_REGISTRY}/sample-apiserver:{SAMPLE_APISERVER_TAG}",
    ]


def shared_libraries(binaries: Iterable[Path]) -> list[Path]:
    """The libraries (and the loader) the dynamic linker would load for ``binaries``."""
    argv = ["ldd", *(str(path) for path in binaries)]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BootstrapError(f"cannot list the libraries of {argv[1:]}: {exc}") from exc
    found: set[Path] = set()
    for line in out.splitlines():
        words = line.split()
        if "=>" in words and len(words) > words.index("=>") + 1:
            candidate = words[words.index("=>") + 1]
        elif words and words[0].startswith("/"):
            candidate = words[0]
        else:
            continue
        if candidate.startswith("/") and not candidate.endswith(":"):
            found.add(Path(candidate))
    return sorted(found)


def _host_file(path: Path, mode: int = 0o755) -> Entry:
    return Entry(str(path), source=path.resolve(), mode=mode)


def with_libraries(entries: list[Entry], binaries: Iterable[Path]) -> list[Entry]:
    return [*entries, *(_host_file(lib) for lib in shared_libraries(binaries))]


def busybox_entries(busybox: Path, skip: Iterable[str] = ()) -> list[Entry]:
    """busybox at /bin/busybox and a symlink for each of its applets (but ``skip``)."""
    listed = subprocess.run(
        [str(busybox), "--list"], capture_output=True, text=True, check=False, timeout=30
    ).stdout.split()
    if not listed:
        raise BootstrapError(f"{busybox} --list printed no applets: not a busybox")
    skipped = {*skip, "busybox"}
    links = [
        Entry(f"/bin/{name}", kind="symlink", target="busybox")
        for name in sorted(set(listed) - skipped)
    ]
    return [Entry("/bin/busybox", source=busybox), *links, *_basics()]


def _basics() -> list[Entry]:
    return [
        Entry("/etc/passwd", data=PASSWD, mode=0o644),
        Entry("/etc/group", data=GROUP, mode=0o644),
        Entry("/tmp", kind="dir", mode=0o1777),  # noqa: S108 (inside the image)
    ]


def pause_image(parts: NodeParts) -> ImageSpec:
    return ImageSpec(
        pause_tags(), (Entry("/pause", source=parts.part("pause")),), entrypoint=("/pause",)
    )


def busybox_image(parts: NodeParts) -> ImageSpec:
    tag = f"{REGISTRY}/e2e-test-images/busybox:{BUSYBOX_TAG}"
    return ImageSpec((tag,), tuple(busybox_entries(parts.host.busybox)), cmd=("sh",))


GETENT = Path("/usr/bin/getent")


def shell_and_tools(parts: NodeParts) -> list[Entry]:
    """busybox's applets under a shell that is not busybox (whose ``sh`` would run its own
    ``nc`` applet), OpenBSD netcat (tests call it with ``-v``), curl (the e2e networking
    specs' ``curl .../dial?...``), dig and glibc's getent (the e2e DNS probes), with their
    libraries: what upstream's e2e images offer the commands the specs run in them."""
    dash = Path("/bin/dash")
    tools = [parts.host.netcat, parts.host.curl, parts.host.dig, GETENT]
    entries = [
        *busybox_entries(parts.host.busybox, skip=("sh", "nc")),
        Entry("/bin/sh", source=dash.resolve()),
        Entry("/usr/bin/nc", source=parts.host.netcat.resolve()),
        Entry("/usr/bin/curl", source=parts.host.curl.resolve()),
        Entry("/usr/bin/dig", source=parts.host.dig.resolve()),
        Entry("/usr/bin/getent", source=GETENT.resolve()),
        Entry("/etc/nsswitch.conf", data=b"hosts: files dns\n", mode=0o644),
    ]
    return with_libraries(entries, [dash, *tools])


def agnhost_image(parts: NodeParts) -> ImageSpec:
    entries = [
        Entry("/agnhost", source=parts.part("agnhost")),
        *shell_and_tools(parts),
        *porter_tls_entries(),
    ]
    tag = f"{REGISTRY}/e2e-test-images/agnhost:{AGNHOST_TAG}"
    return ImageSpec((tag,), tuple(entries), entrypoint=("/agnhost",), cmd=("pause",))


def glibc_dns_testing_image(parts: NodeParts) -> ImageSpec:
    """The e2e DNS specs' glibc prober: a shell, dig and getent over glibc's resolver."""
    tag = f"{REGISTRY}/e2e-test-images/glibc-dns-testing:{GLIBC_DNS_TESTING_TAG}"
    return ImageSpec((tag,), tuple(shell_and_tools(parts)), cmd=("sh",))


def kube_proxy_image(parts: NodeParts) -> ImageSpec:
    """kube-proxy with iptables (nf_tables backend), its extensions and their libraries."""
    xtables = parts.host.iptables.resolve()
    extensions = sorted(Path("/usr/lib/x86_64-linux-gnu/xtables").glob("*.so"))
    extensions = extensions or sorted(xtables.parent.parent.glob("lib/*/xtables/*.so"))
    entries = [
        Entry("/usr/local/bin/kube-proxy", source=parts.binary("kube-proxy")),
        Entry(f"/usr/sbin/{xtables.name}", source=xtables),
        *(
            Entry(f"/usr/sbin/{name}", kind="symlink", target=xtables.name)
            for name in XTABLES_COMMANDS
        ),
        *(Entry(str(ext), source=ext, mode=0o644) for ext in extensions),
        *_basics(),
    ]
    entries = with_libraries(entries, [xtables, *extensions])
    tag = f"{REGISTRY}/kube-proxy:{parts.version}"
    return ImageSpec((tag,), tuple(entries))


def coredns_image(parts: NodeParts) -> ImageSpec:
    return ImageSpec(
        (coredns_tag(parts.version),),
        (Entry("/coredns", source=parts.part("coredns")), *_basics()),
        entrypoint=("/coredns",),
    )


def etcd_image(parts: NodeParts) -> ImageSpec:
    """The release's etcd (kubeadm's version) where upstream's image has it, for the aggregator
    spec's sample API server to store its objects in."""
    return ImageSpec(
        (etcd_tag(parts.version),),
        (Entry("/usr/local/bin/etcd", source=parts.binary("etcd")), *_basics()),
    )


def suite_etcd_images(parts: NodeParts) -> list[ImageSpec]:
    """On another release's nodes, the pinned release's etcd too, for the aggregator spec."""
    tags = suite_etcd_tags(parts.version)
    if not tags:
        return []
    if parts.suite_binaries is None:
        raise BootstrapError(f"the node parts of {parts.version} carry no pinned release's etcd")
    entries = (Entry("/usr/local/bin/etcd", source=parts.suite_binaries / "etcd"), *_basics())
    return [ImageSpec(tuple(tags), entries)]


def sample_apiserver_image(parts: NodeParts) -> ImageSpec:
    if parts.sample_apiserver is None:
        raise BootstrapError("the node parts carry no sample API server to make its image of")
    return ImageSpec(
        (f"{OWN_REGISTRY}/sample-apiserver:{SAMPLE_APISERVER_TAG}",),
        (Entry("/sample-apiserver", source=parts.sample_apiserver), *_basics()),
        entrypoint=("/sample-apiserver",),
    )


def node_images(parts: NodeParts) -> list[ImageSpec]:
    return [
        pause_image(parts),
        busybox_image(parts),
        agnhost_image(parts),
        glibc_dns_testing_image(parts),
        kube_proxy_image(parts),
        coredns_image(parts),
        etcd_image(parts),
        *suite_etcd_images(parts),
        sample_apiserver_image(parts),
    ]
