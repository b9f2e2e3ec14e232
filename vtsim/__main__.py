"""``python -m vtsim`` runs the command line."""

from vtsim.cli.main import main

main()
