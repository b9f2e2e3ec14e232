"""devices/contract."""
