"""``python -m vibrastic`` runs the CLI."""

from vibrastic.faces.cli import main

main()
