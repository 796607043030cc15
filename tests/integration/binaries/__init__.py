"""Integration tests of binaries: a real local mirror, real locks, real go builds."""
