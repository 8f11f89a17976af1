"""``python -m vibrastic`` runs the CLI."""

from vibrastic.cli import main

main()
