"""vtsim: a simulator of a welfare-technology response centre for Norwegian home care."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vtsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
