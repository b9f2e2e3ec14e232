"""``python -m vtsim`` runs the command line."""

from vtsim.cli import main

main()
