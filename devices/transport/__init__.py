"""devices/transport."""
