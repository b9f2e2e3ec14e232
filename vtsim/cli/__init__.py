"""vtsim/cli."""
