"""``kpy exec`` and ``kpy cp`` as a library: the remote-command protocol (``protocol``), a session over one
WebSocket (``session``), the local terminal (``tty``), and tar/verification/resume for copies (``cp``)."""
