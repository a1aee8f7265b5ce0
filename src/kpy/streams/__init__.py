"""Byte streams to the API server: one WebSocket codec, TLS for threads, a worker pool.

Shared by port-forward (client relay), the emulator's kubelet side, and exec/attach/logs.

``kpy.streams.websocket`` - RFC 6455 framing, sans-I/O (no sockets, no asyncio):

* ``accept_key(key)``, ``new_key()``, ``valid_key(key)``: the handshake's keys.
* ``encode_frame(opcode, payload, mask=os.urandom(4) | None, fin=True)``: one frame (clients mask, servers
  do not); ``frame_header`` for a header alone; ``encode_message(..., fragment=N)`` for fragmented messages;
  ``close_payload(code, reason)`` / ``parse_close(payload)``.
* ``MessageReader(client=True|False, max_message=..., stream=None)``: ``feed(bytes)`` returns events -
  ``Message(opcode, data)``, ``Chunk`` (parts of messages that ``stream`` chose to receive as they arrive),
  ``Ping``, ``Pong``, ``Close(code, reason)`` - and raises ``ProtocolError(message, code)`` for a broken peer.
* ``FrameParser``: the layer below, bytes to frame ``Piece``s without rule checks.

``kpy.streams.dial.dial(url, headers, subprotocols, ...)`` - the client handshake on a blocking socket
(proxy, TLS, subprotocols; a refused upgrade raises ``UpgradeRefused`` with the status and body); usually
reached through ``kpy.rest.RestClient.dial_websocket`` (credentials, typed errors). It returns a
``DialedWebSocket`` (socket + negotiated subprotocol + bytes already received).

``kpy.streams.connection.WebSocketConnection(dialed)`` - blocking messages for threads::

    ws = WebSocketConnection(await client.dial_websocket(path, params, ["v5.channel.k8s.io"]))
    ws.send(b"\\x00hello")          # one binary message (str: text)
    event = ws.receive()            # Message | Close | None (pings are answered)
    ws.close()                      # close frame 1000, then the socket

``kpy.streams.tls.TLSStream`` - TLS on memory BIOs over a blocking socket (one system call moves many
records; a reading and a writing thread may share it). ``kpy.streams.workers`` - ``workers`` (reused daemon
threads) and ``run_in_thread(fn)`` (await a blocking call on the event loop).
"""
