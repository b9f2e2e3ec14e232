"""sim/scenario."""
