"""gunicorn's own refusals (request line and headers too large) are the API's JSON envelope.

gunicorn answers these before Django sees the request; ``gunicorn.conf.py`` sets the
limits and replaces gunicorn's HTML error page with the contract's envelope. A real
gunicorn (one sync worker, the project's config file) is started for the test.
"""

import json
import socket

import pytest

from tests.faults.procs import child_env, free_port, wait_http_ready, web_server


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = web_server(child_env(), port).start()
    try:
        assert wait_http_ready(f"http://127.0.0.1:{port}"), process.output()
        yield port
    finally:
        process.cleanup()


def _raw(port: int, request: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _get(path: str, headers: list[str] = ()) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (_get("/health/live?" + "x" * 5000), 414, "URI_TOO_LONG"),
        (_get("/health/live", [f"X-Big: {'a' * 9000}"]), 431, "REQUEST_HEADER_FIELDS_TOO_LARGE"),
        (_get("/health/live", [f"X-Many-{n}: 1" for n in range(70)]), 431, "REQUEST_HEADER_FIELDS_TOO_LARGE"),
        (b"NOT A REQUEST\r\n\r\n", 400, "BAD_REQUEST"),
    ],
    ids=["request line", "header size", "header count", "garbage"],
)
def test_what_gunicorn_refuses_is_answered_in_the_json_envelope(server, request_bytes, status, code):
    # when
    answered, headers, body = _raw(server, request_bytes)
    # then
    assert answered == status
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    error = json.loads(body)["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "details"}


@pytest.mark.slow
def test_a_request_within_the_limits_reaches_the_app_and_head_has_no_body(server):
    status, _, body = _raw(server, _get("/health/live", [f"X-Ok-{n}: 1" for n in range(40)]))
    assert (status, json.loads(body)) == (200, {"status": "alive"})
    head = _get("/health/live").replace(b"GET", b"HEAD", 1)
    status, headers, body = _raw(server, head)
    assert (status, body) == (200, b"")
    assert headers["content-length"] == str(len(b'{"status": "alive"}'))
