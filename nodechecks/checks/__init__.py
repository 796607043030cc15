"""The node checks, imported in kubeadm's order so they run and print in that order."""

from nodechecks.catalog import REGISTRY
from nodechecks.checks import system  # noqa: F401

__all__ = ["REGISTRY"]
