"""``kubeadm-verify node``: the node tier, run in-process over ``nodechecks``."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kubeadm_verify.commands.common import finish, write_start_failure
from kubeadm_verify.errors import InputError, VerifyError
from kubeadm_verify.ignores import parse_ignore_list, unknown_names
from kubeadm_verify.results import CheckResult, Severity, Status, TierReport
from kubeadm_verify.runner import run_tier
from nodechecks.configfields import (
    CONSUMED_FIELDS,
    ExternalEtcd,
    node_fields,
    read_config_text,
)
from nodechecks.defaults import (
    DEFAULT_BIND_PORT,
    DEFAULT_KUBERNETES_VERSION,
    DEFAULT_ROLE,
    DEFAULT_SERVICE_SUBNET,
)
from nodechecks.versions import Version

LOCAL_ADVERTISE_DEFAULT = "127.0.0.1"
LEAN_SESSION = (
    "-s", "--assert=plain",
    "-p", "no:logging", "-p", "no:faulthandler", "-p", "no:doctest", "-p", "no:pastebin",
    "-p", "no:stepwise", "-p", "no:unittest",
)
"""The node tier's 54 quick tests need no output capture, log capture, assertion rewriting or
doctest collection: leaving them out saves ~25% of the in-process pytest session's CPU."""


def run(args: argparse.Namespace) -> int:
    if args.list:
        return list_checks()
    try:
        settings = _settings(args)
        root = _checked_root(args.root)
        report = run_tier("node", "nodechecks", _pytest_args(args, root, settings))
    except VerifyError as exc:
        write_start_failure("node", args.output_dir, str(exc))
        raise
    report = _with_unknown_ignores(report, settings.ignored)
    if args.format == "text":
        from kubeadm_verify.report.console import make_console, print_preflight

        print_preflight(make_console(), report)
    return finish(report, args.output_dir, args.format)


@dataclass(frozen=True)
class NodeSettings:
    """What the node tier is checked against: flags first, then the kubeadm config file."""

    role: str = DEFAULT_ROLE
    ignored: frozenset[str] = frozenset()
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    bind_port: int = DEFAULT_BIND_PORT
    advertise_address: str = ""
    service_subnet: str = DEFAULT_SERVICE_SUBNET
    pod_subnet: str = ""
    node_name: str = ""
    cri_socket: str = ""
    etcd: ExternalEtcd = field(default_factory=ExternalEtcd)


def _settings(args: argparse.Namespace) -> NodeSettings:
    settings = _settings_unchecked(args)
    try:
        Version.parse(settings.kubernetes_version)
    except ValueError:
        raise InputError(f"--kubernetes-version {settings.kubernetes_version!r} is not a version "
                         "such as v1.37.2") from None
    return settings


def _settings_unchecked(args: argparse.Namespace) -> NodeSettings:
    names = parse_ignore_list(args.ignore_preflight_errors)
    if not args.config:
        version = args.kubernetes_version or DEFAULT_KUBERNETES_VERSION
        return NodeSettings(role=args.role or DEFAULT_ROLE, ignored=frozenset(names),
                            kubernetes_version=version)
    from bootstrap.config import load_config

    text = read_config_text(args.config)
    loaded = load_config(Path(args.config))
    for warning in loaded.warnings:
        if not warning.endswith(CONSUMED_FIELDS):
            print(f"kubeadm-verify: {args.config}: {warning}", file=sys.stderr)
    config = loaded.config
    fields = node_fields(text, args.config)
    names = parse_ignore_list(",".join([*names, *config.node.ignore_preflight_errors]))
    role = args.role or config.role
    advertise = config.endpoint.advertise_address
    if role == "worker" and config.discovery is not None:
        # kubeadm join checks the proxy and forwarding against the API server it joins.
        advertise = config.discovery.api_server_endpoint.rsplit(":", 1)[0].strip("[]")
    elif advertise == LOCAL_ADVERTISE_DEFAULT:
        advertise = ""  # bootstrap's local-cluster default, not one the file gave
    networking = config.cluster.networking
    return NodeSettings(
        role=role,
        ignored=frozenset(names),
        kubernetes_version=args.kubernetes_version or config.cluster.kubernetes_version,
        bind_port=config.endpoint.bind_port or DEFAULT_BIND_PORT,
        advertise_address=advertise,
        service_subnet=networking.service_subnet,
        pod_subnet=networking.pod_subnet,
        node_name=config.node.name,
        cri_socket=str(getattr(config.node, "cri_socket", "") or fields.cri_socket),
        etcd=fields.etcd,
    )


def _checked_root(root: str) -> str:
    if not os.path.isdir(root):
        raise InputError(f"the host root {root} does not exist or is not a directory")
    if not os.access(root, os.R_OK | os.X_OK):
        raise InputError(f"the host root {root} is not readable")
    return root


def _pytest_args(args: argparse.Namespace, root: str, settings: NodeSettings) -> list[str]:
    argv = [
        "--node-root", root,
        "--node-role", settings.role,
        "--node-kubernetes-version", settings.kubernetes_version,
        "--node-ignore-preflight-errors", ",".join(sorted(settings.ignored)),
        "--node-bind-port", str(settings.bind_port),
        "--node-advertise-address", settings.advertise_address,
        "--node-service-subnet", settings.service_subnet,
        "--node-pod-subnet", settings.pod_subnet,
        "--node-name", settings.node_name,
        "--node-cri-socket", settings.cri_socket,
        "--node-external-etcd-endpoints", ",".join(settings.etcd.endpoints),
        "--node-external-etcd-ca", settings.etcd.ca_file,
        "--node-external-etcd-cert", settings.etcd.cert_file,
        "--node-external-etcd-key", settings.etcd.key_file,
        "-q", "-p", "no:warnings", *LEAN_SESSION,
    ]
    if args.pull_images:
        argv.append("--node-pull-images")
    return argv


def _with_unknown_ignores(report: TierReport, ignored: frozenset[str]) -> TierReport:
    """kubeadm accepts typos silently; we keep the run going but say which names matched nothing."""
    unknown = unknown_names(ignored, [result.id for result in report.results])
    if not unknown:
        return report
    warning = CheckResult(
        id="IgnorePreflightErrors",
        status=Status.WARN,
        severity=Severity.WARNING,
        message=f"unknown check names in --ignore-preflight-errors: {', '.join(unknown)}",
        remediation="check the spelling against `kubeadm-verify node --list`",
        details={"unknown": unknown},
    )
    return TierReport(report.tier, report.started, report.duration_s, (*report.results, warning))


def list_checks() -> int:
    from kubeadm_verify.report.console import make_console
    from nodechecks.checks import REGISTRY

    console = make_console()
    for check in REGISTRY:
        roles = "all" if len(check.roles) > 1 else next(iter(check.roles))
        console.print(f"{check.id:<70} {check.origin:<8} {roles:<13} {check.severity.value:<8} "
                      f"{check.summary}", markup=False)
    return 0


__all__ = ["list_checks", "run"]
