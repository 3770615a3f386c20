"""One webhook POST: to the address the URL guard checked, no redirects, a hard deadline."""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from events.urlguard import Target

MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Response:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(*, target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST ``body``; any answer (a redirect too) is returned as it is, never followed."""
    started = time.monotonic()
    deadline = started + timeout
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "ClickNBack-Webhooks/1",
                **headers,
            },
        )
        response = connection.getresponse()
        # Read (and drop) a bounded body, within the deadline.
        read = 0
        while read < MAX_RESPONSE_BYTES:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")
            if connection.sock is not None:
                connection.sock.settimeout(left)
            chunk = response.read1(8192)
            if not chunk:
                break
            read += len(chunk)
        elapsed = int((time.monotonic() - started) * 1000)
        if time.monotonic() > deadline:
            return Response(None, f"no answer within {timeout:g} s", elapsed)
        return Response(response.status, "" if 200 <= response.status < 300 else f"HTTP {response.status}", elapsed)
    except TimeoutError:
        return Response(None, f"no answer within {timeout:g} s", int((time.monotonic() - started) * 1000))
    except (OSError, http.client.HTTPException) as exc:
        return Response(None, f"{type(exc).__name__}: {exc}"[:500], int((time.monotonic() - started) * 1000))
    finally:
        connection.close()
