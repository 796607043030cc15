"""Failing tests that put known secrets in every place a test's outcome can carry them."""
