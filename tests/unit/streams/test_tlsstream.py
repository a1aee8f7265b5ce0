"""kpy.streams.tls.TLSStream: TLS on memory BIOs over a blocking socket (the port-forward streams' TLS)."""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from tests.unit.rest.fakes import Pki, make_pki

from kpy.streams.tls import TLSStream


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def client_context(pki: Pki) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=pki.ca_pem.decode())


@contextmanager
def tls_server(pki: Pki, serve: Callable[[ssl.SSLSocket], None]) -> Iterator[int]:
    """A blocking TLS server for one connection, ``serve`` run in a thread; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            conn, _ = listener.accept()
            with pki.server_context().wrap_socket(conn, server_side=True) as tls:
                serve(tls)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(30)
        listener.close()
    assert not thread.is_alive(), "the test server did not finish"
    if errors and not isinstance(errors[0], (ssl.SSLError, ConnectionError)):
        raise errors[0]


def connect(port: int, pki: Pki, hostname: str = "kubernetes.example") -> TLSStream:
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    stream = TLSStream(raw, client_context(pki), hostname)
    stream.handshake()
    raw.settimeout(30)
    return stream


def test_bytes_cross_both_ways_at_once_unchanged(pki: Pki) -> None:
    """One thread writes while another reads, as a port-forward stream's two threads do."""
    total = 24 << 20

    def echo(tls: ssl.SSLSocket) -> None:
        buf = bytearray(1 << 20)
        while n := tls.recv_into(buf):
            tls.sendall(memoryview(buf)[:n])

    with tls_server(pki, echo) as port:
        stream = connect(port, pki)
        sent, received = hashlib.sha256(), hashlib.sha256()

        def write() -> None:
            left = total
            while left:
                part = os.urandom(min(left, 300_001))
                head = part[:7]
                stream.send_parts((head, part[7:]))
                sent.update(part)
                left -= len(part)

        writer = threading.Thread(target=write)
        writer.start()
        view = memoryview(bytearray(256 << 10))
        got = 0
        while got < total:
            n = stream.recv_into(view)
            assert n > 0
            received.update(view[:n])
            got += n
        writer.join()
        stream.shutdown(socket.SHUT_RDWR)
        stream.close()
    assert got == total and received.hexdigest() == sent.hexdigest()


def test_one_read_returns_every_complete_record(pki: Pki) -> None:
    """Many TLS records per system call: what has arrived is decrypted at once, not a record per call."""

    def three_records(tls: ssl.SSLSocket) -> None:
        for fill in b"abc":
            tls.sendall(bytes([fill]) * 10_000)  # one write, one record each
        tls.shutdown(socket.SHUT_WR)  # FIN after them (no close_notify)
        tls.recv(1)

    with tls_server(pki, three_records) as port:
        stream = connect(port, pki)
        # wait until all of it (and the FIN) is in the socket's receive buffer
        stream.raw.recv(1 << 20, socket.MSG_PEEK | socket.MSG_WAITALL)
        view = memoryview(bytearray(64 << 10))
        n = stream.recv_into(view)
        assert bytes(view[:n]) == b"a" * 10_000 + b"b" * 10_000 + b"c" * 10_000
        assert stream.recv_into(view) == 0  # then the end, without an exception
        stream.close()


@pytest.mark.parametrize("close_notify", [True, False], ids=["close_notify", "ragged-eof"])
def test_end_of_stream_is_a_zero_read_after_the_data(pki: Pki, close_notify: bool) -> None:
    def say_bye(tls: ssl.SSLSocket) -> None:
        tls.sendall(b"bye")
        if close_notify:
            tls.unwrap().close()
        else:
            tls.shutdown(socket.SHUT_RDWR)

    with tls_server(pki, say_bye) as port:
        stream = connect(port, pki)
        data = b""
        while chunk := stream.recv(100):
            data += chunk
        assert data == b"bye"
        assert stream.recv(100) == b""
        stream.close()


def test_the_server_certificate_is_verified(pki: Pki) -> None:
    """TLS verification stays on: a name the certificate does not hold fails the handshake."""
    with (
        tls_server(pki, lambda tls: None) as port,
        pytest.raises(ssl.SSLCertVerificationError, match=r"Hostname mismatch|doesn't match"),
    ):
        connect(port, pki, hostname="other.example")
