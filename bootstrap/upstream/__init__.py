"""bootstrap.upstream."""
