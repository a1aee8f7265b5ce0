"""``kpy exec`` and ``kpy cp`` as a library: the remote-command protocol (``protocol``), a session over one
WebSocket (``session``) or SPDY (``spdy``) and the choice between them (``fallback``), the local terminal (``tty``), and tar/verification/resume for copies (``cp``)."""
