"""vtsim: a simulator of a welfare-technology response centre for Norwegian home care."""

__version__ = "0.1.0"
"""The one place the version is written: pyproject.toml reads it from here when building.
A literal, not a look-up in the installed metadata, which would cost every command a tenth
of a second at start."""
