"""``python -m kpy`` runs the CLI."""

from kpy.cli.main import main

main()
