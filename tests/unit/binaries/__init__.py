"""Unit tests of the binaries cache, downloads and Go module generation."""
