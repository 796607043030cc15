"""bootstrap.runtime."""
