"""sim/analysis."""
