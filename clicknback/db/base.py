"""Django's PostgreSQL backend with a health check that needs no round trip while it can.

``CONN_HEALTH_CHECKS`` makes Django check a persistent connection before the first query
of every request (and of every Celery task): a ``SELECT 1`` round trip, so that a
connection PostgreSQL dropped (a restart, ``pg_terminate_backend``, a pooler restart) is
replaced instead of failing the request. On the hot paths that round trip costs more CPU
than the statements that follow it (bench/NOTEBOOK.md).

A server that drops a connection says so on its socket: it sends an error and closes it,
or the kernel closes it for a process that died, and either makes the socket readable.
An idle connection whose socket has nothing to read has been told nothing since its last
query, so it is taken as it is. Whenever the socket has anything to read, is in doubt or
the connection is not idle, Django's own check runs. A peer that vanished without a word
(a cut network) is not seen by either check until a query times out.
"""

import select
from typing import TYPE_CHECKING

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool


class DatabaseWrapper(base.DatabaseWrapper):
    # Set by Django's base wrapper and its PostgreSQL property; missing from django-stubs.
    health_check_enabled: bool
    health_check_done: bool
    pool: "ConnectionPool | None"

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and self._nothing_to_read()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _nothing_to_read(self) -> bool:
        """True when the connection is idle and its socket has no data, no error and no hang-up."""
        connection = self.connection
        try:
            if connection.closed or connection.info.transaction_status != pq.TransactionStatus.IDLE:
                return False
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError, psycopg.Error):
            return False
