"""sim/realtime."""
