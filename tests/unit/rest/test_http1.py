"""The blocking HTTP/1.1 transport: pure parsing fed bytes, and ``Connection`` against a scripted socket peer."""

from __future__ import annotations

import gzip
import random
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from yarl import URL

from kpy.rest.http1 import BadResponse, ChunkedDecoder, ConnectError, Connection, decode_body, parse_head
from kpy.rest.request import url_string


def test_parse_head_reads_status_reason_and_headers_in_order() -> None:
    version, status, reason, headers = parse_head(
        b'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nWarning: 299 - "a"\r\nwarning: 299 - "b"'
    )
    assert (version, status, reason) == ("HTTP/1.1", 429, "Too Many Requests")
    assert headers["retry-after"] == "3"
    assert headers.getall("Warning") == ['299 - "a"', '299 - "b"']
    assert list(headers) == ["Retry-After", "Warning", "warning"]


@pytest.mark.parametrize("head", [b"SSH-2.0-OpenSSH", b"HTTP/1.1 2000 OK", b"HTTP/1.1 200 OK\r\nno colon"])
def test_bytes_that_are_not_http_are_a_bad_response(head: bytes) -> None:
    with pytest.raises(BadResponse):
        parse_head(head)


def test_chunked_bodies_decode_whatever_the_pieces_they_arrive_in() -> None:
    wire = b"4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n"
    for size in (1, 2, 3, 7, len(wire)):
        decoder = ChunkedDecoder()
        for i in range(0, len(wire), size):
            assert not decoder.done
            decoder.feed(wire[i : i + size])
        assert decoder.done
        assert decoder.body == b"Wikipedia in \r\n\r\nchunks."
    decoder = ChunkedDecoder()
    decoder.feed(b"3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK")  # the next answer, already read
    assert decoder.done and decoder.body == b"abc" and decoder.rest == b"HTTP/1.1 200 OK"


def test_a_malformed_chunk_size_is_a_bad_response() -> None:
    with pytest.raises(BadResponse):
        ChunkedDecoder().feed(b"zz\r\n")


def test_compressed_answers_are_decompressed() -> None:
    import zlib

    assert decode_body(gzip.compress(b"hello"), "gzip") == b"hello"
    assert decode_body(zlib.compress(b"hello"), "deflate") == b"hello"
    assert decode_body(b"hello", "") == b"hello"
    with pytest.raises(BadResponse):
        decode_body(b"not gzip", "gzip")


# -- Connection against a peer that answers with scripted bytes --------------------------------------------
Script = Callable[[socket.socket], None]


@pytest.fixture
def peer() -> Iterator[Callable[..., tuple[int, list[bytes]]]]:
    """``peer(script, ...)``: a loopback listener; each accepted connection runs the next script."""
    listeners: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def start(*scripts: Script) -> tuple[int, list[bytes]]:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)
        received: list[bytes] = []

        def serve() -> None:
            for script in scripts:
                conn, _ = listener.accept()
                with conn:
                    received.append(b"")
                    script(conn)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        return listener.getsockname()[1], received

    yield start
    for listener in listeners:
        listener.close()
    for thread in threads:
        thread.join(timeout=10)


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def answers(*responses: bytes) -> Script:
    def script(conn: socket.socket) -> None:
        for response in responses:
            if not read_request(conn):
                return
            conn.sendall(response)

    return script


def test_keep_alive_serves_several_requests_on_one_connection(
    peer: Callable[..., tuple[int, list[bytes]]],
) -> None:
    port, connections = peer(
        answers(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        )
    )
    conn = Connection("127.0.0.1", port, context=None)
    assert conn.request("GET", "/a", [], None, 10)[3] == b"ok"
    assert conn.request("GET", "/b", [], None, 10)[3] == b"abc"
    status, reason, _, body = conn.request("DELETE", "/c", [], None, 10)
    assert (status, reason, body) == (204, "No Content", b"")
    assert len(connections) == 1
    conn.close()


def test_connection_close_and_unframed_bodies_end_at_eof(
    peer: Callable[..., tuple[int, list[bytes]]],
) -> None:
    def unframed(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\nall of it")

    port, connections = peer(unframed, answers(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"))
    conn = Connection("127.0.0.1", port, context=None)
    assert conn.request("GET", "/", [], None, 10)[3] == b"all of it"
    assert conn.request("GET", "/", [], None, 10)[3] == b"x"  # a new connection
    assert len(connections) == 2


def test_an_answer_cut_short_is_eof(peer: Callable[..., tuple[int, list[bytes]]]) -> None:
    port, _ = peer(answers(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"), answers())
    conn = Connection("127.0.0.1", port, context=None)
    with pytest.raises(EOFError):
        conn.request("GET", "/", [], None, 10)
    with pytest.raises((EOFError, ConnectionResetError)):  # closed without a word (a reset if it was quick)
        conn.request("GET", "/", [], None, 10)


def test_a_silent_server_times_out(peer: Callable[..., tuple[int, list[bytes]]]) -> None:
    release = threading.Event()
    port, _ = peer(lambda conn: release.wait(10))
    conn = Connection("127.0.0.1", port, context=None)
    try:
        with pytest.raises(TimeoutError):
            conn.request("GET", "/", [], None, 0.1)
    finally:
        release.set()


def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError) as info:
        Connection("127.0.0.1", port, context=None).request("GET", "/", [], None, 10)
    assert isinstance(info.value.os_error, ConnectionRefusedError)


def test_the_request_is_written_with_host_headers_and_length(
    peer: Callable[..., tuple[int, list[bytes]]],
) -> None:
    seen: list[bytes] = []

    def record(conn: socket.socket) -> None:
        data = read_request(conn)
        while not data.endswith(b"{}"):
            data += conn.recv(4096)
        seen.append(data)
        conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")

    port, _ = peer(record)
    conn = Connection("127.0.0.1", port, context=None, host_header="example:443")
    conn.request("POST", "/api/v1/pods?dryRun=All", [("Accept", "application/json")], b"{}", 10)
    assert seen[0] == (
        b"POST /api/v1/pods?dryRun=All HTTP/1.1\r\nHost: example:443\r\nAccept: application/json\r\n"
        b"Content-Length: 2\r\nAccept-Encoding: gzip\r\n\r\n{}"
    )


# -- URLs as yarl writes them (the -v=6 logs of both transports must read the same) --------------------------
def _yarl(server: str, path: str, pairs: list[tuple[str, str]]) -> str:
    url = URL(server + path)
    return str(url.with_query(pairs) if pairs else url)


@pytest.mark.parametrize(
    "server",
    ["https://127.0.0.1:6443", "https://Example.COM:443", "http://[::1]:8080", "https://h/k8s/clusters/c1"],
)
def test_urls_match_yarls_for_api_paths_selectors_and_tokens(server: str) -> None:
    cases = [
        ("/api/v1/namespaces/default/pods", []),
        ("/api/v1/namespaces/kube-system/pods/web-0", [("limit", "500")]),
        (
            "/apis/apps/v1/deployments",
            [("labelSelector", "app=web,tier!=db"), ("fieldSelector", "status.phase=Running")],
        ),
        (
            "/api/v1/pods",
            [
                ("labelSelector", "env in (prod, dev),!canary"),
                ("continue", "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ+/=="),
            ],
        ),
        ("/api/v1/namespaces/a b/pods/ü:x@y", [("q", "100% & more;=+")]),
        ("/api/v1/namespaces/x/pods/a%41b%zz", [("timeoutSeconds", "300"), ("watch", "true")]),
    ]
    for path, pairs in cases:
        assert url_string(server, path, pairs)[0] == _yarl(server, path, pairs), (path, pairs)


def test_random_query_values_match_yarl() -> None:
    rng = random.Random(15)
    alphabet = "abcXYZ019-._~!$'()*,;=+&?/:@% é#[]\"<>{}|\\^`"
    for _ in range(500):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        pairs = [("k", value)]
        assert url_string("https://h:1", "/api", pairs)[0] == _yarl("https://h:1", "/api", pairs), value


def test_gzip_is_asked_for_and_answers_come_back_plain_without_its_headers(
    peer: Callable[..., tuple[int, list[bytes]]],
) -> None:
    """Go's transport asks for gzip by itself and hides that it did; a caller's own Accept-Encoding is left as
    it is, and so is the answer to it."""
    body = b'{"kind":"EventList","items":[]}' * 100
    packed = gzip.compress(body, 1)
    seen: list[bytes] = []

    def script(conn: socket.socket) -> None:
        for _ in range(2):
            seen.append(read_request(conn))
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(packed), packed)
            )

    port, _ = peer(script)
    conn = Connection("127.0.0.1", port, context=None)
    status, _, headers, payload = conn.request(
        "GET", "/api/v1/events", [("Accept", "application/json")], None, 10
    )
    assert (status, payload) == (200, body)
    assert list(headers) == ["Vary"]
    assert b"\r\nAccept-Encoding: gzip\r\n" in seen[0]
    _, _, headers, payload = conn.request("GET", "/x", [("Accept-Encoding", "gzip")], None, 10)
    assert payload == body  # decoded all the same, but the caller asked: the headers say what came
    assert headers["Content-Encoding"] == "gzip"
    assert seen[1].count(b"Accept-Encoding") == 1
    conn.close()
