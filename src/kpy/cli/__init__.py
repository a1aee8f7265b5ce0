"""The ``kpy`` command line: a thin typer layer over the kpy library (options → complete → validate → run)."""
