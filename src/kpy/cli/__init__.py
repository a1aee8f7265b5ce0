"""The ``kpy`` command line: a thin click layer over the kpy library (options → complete → validate → run)."""
