"""Defaults shared by the CLI, the pytest plugin and the context, in a module that imports nothing
(the plugin is loaded by every pytest session on the machine)."""

DEFAULT_KUBERNETES_VERSION = "v1.37.2"
DEFAULT_ROLE = "control-plane"
DEFAULT_BIND_PORT = 6443
DEFAULT_SERVICE_SUBNET = "10.96.0.0/12"
