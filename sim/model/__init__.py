"""sim/model."""
