"""Unit tests: one function or module at a time, exact traces and properties."""
