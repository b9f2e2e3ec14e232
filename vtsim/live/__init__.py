"""vtsim/live."""
