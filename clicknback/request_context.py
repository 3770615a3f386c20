"""The id of the request (or job) being served, for logs, ledger rows and audit rows.

A context variable, set by ``clicknback.api.middleware.RequestIdMiddleware`` for HTTP
requests and by ``bound_request_id`` for work done on behalf of a request elsewhere (a
Celery task carrying the id of the request that caused it). Services read it with
``get_request_id``; nothing here knows about HTTP.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def get_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


@contextmanager
def bound_request_id(value: str | None) -> Iterator[None]:
    """Run the block with ``value`` as the current request id (unchanged when ``value`` is empty)."""
    if not value:
        yield
        return
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)
