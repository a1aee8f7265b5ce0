"""``kpy port-forward`` as a library: ``async with PortForwarder(client, "svc/web", ["8080:80"]) as fw``.

``protocol`` is the sans-I/O channel framing, ``stream`` one forwarded connection, ``resolve`` the
target/port resolution and ``forwarder`` the listeners. Importing this package pulls in nothing heavy;
websockets is imported when a connection is made.
"""

from kpy.portforward.events import ForwardEvent, Listener
from kpy.portforward.forwarder import PortForwarder

__all__ = ["ForwardEvent", "Listener", "PortForwarder"]
