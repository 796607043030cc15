"""conformance.standard_base."""
