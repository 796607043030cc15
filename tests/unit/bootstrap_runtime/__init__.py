"""Unit tests of the bootstrap runtime: arguments, manifests, phases, state, processes, ports."""
