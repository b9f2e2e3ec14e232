"""sim/engine."""
