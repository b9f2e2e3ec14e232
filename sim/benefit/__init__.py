"""sim/benefit."""
