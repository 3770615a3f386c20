"""The connection health check at the start of each request (clicknback/db/base.py):
no round trip while the server has said nothing, a new connection once it has."""

import select
import time

import pytest
from django.db import close_old_connections, connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _wait_until_readable(fileno: int, timeout: float = 10.0) -> None:
    poller = select.poll()
    poller.register(fileno, select.POLLIN)
    deadline = time.monotonic() + timeout
    while not poller.poll(100):
        assert time.monotonic() < deadline, "the server never closed the connection"


def test_the_backend_is_ours():
    # then
    assert type(connections["default"]).__module__ == "clicknback.db.base"
    assert connections["default"].health_check_enabled is True


def test_a_healthy_connection_starts_the_next_request_without_a_round_trip(monkeypatch):
    # given: a persistent connection that served a request
    pid = _backend_pid()
    checks = []
    monkeypatch.setattr(type(connections["default"]), "is_usable", lambda self: checks.append(self) or True)

    # when: the next request starts (Django's request_started handler) and queries
    close_old_connections()
    pid_after = _backend_pid()

    # then: same connection, and Django's SELECT 1 check never ran
    assert pid_after == pid
    assert checks == []


def test_a_connection_the_server_dropped_is_replaced_before_the_first_query():
    # given: a persistent connection that served a request
    pid = _backend_pid()
    fileno = connection.connection.fileno()

    # when: PostgreSQL ends its backend, as a restart or pg_terminate_backend does
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    _wait_until_readable(fileno)
    close_old_connections()
    pid_after = _backend_pid()

    # then: the request got a new connection instead of an error
    assert pid_after != pid


def test_a_connection_with_unread_data_gets_djangos_own_check(monkeypatch):
    # given: a connection whose server has sent something since its last query
    pid = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("LISTEN clicknback_health_test")
        cursor.execute("NOTIFY clicknback_health_test")
    checks = []
    monkeypatch.setattr(type(connections["default"]), "is_usable", lambda self: checks.append(self) or True)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("NOTIFY clicknback_health_test")
    finally:
        other.close()
    _wait_until_readable(connection.connection.fileno())

    # when
    close_old_connections()
    pid_after = _backend_pid()

    # then
    assert checks == [connections["default"]]
    assert pid_after == pid
    with connection.cursor() as cursor:
        cursor.execute("UNLISTEN *")
