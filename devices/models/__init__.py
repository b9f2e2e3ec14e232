"""devices/models."""
