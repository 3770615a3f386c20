"""Races on real PostgreSQL: calls run in real threads, released together by a barrier.

Each thread has its own database connection (Django's connections are per thread) and
closes it when its call ends, so the test database can be dropped after the run. Use it
in ``@pytest.mark.django_db(transaction=True)`` tests: the threads only see committed rows.
"""

import threading
import time
from collections.abc import Callable, Sequence

from django.db import connection

from clicknback.errors import DomainError

TIMEOUT_SECONDS = 120.0


def run_together(
    calls: int | Sequence[Callable[[], object]],
    work: Callable[[int], object] | None = None,
    *,
    timeout: float = TIMEOUT_SECONDS,
) -> list[object]:
    """Start every call at the same moment; return their results in order.

    ``run_together(20, work)`` calls ``work(0)`` … ``work(19)``;
    ``run_together([confirm, reverse])`` calls ``confirm()`` and ``reverse()``.
    A call that raises leaves its exception in its place in the list. A thread still
    running ``timeout`` seconds after the start fails the test (a deadlock, or a lock
    that is never released).
    """
    if isinstance(calls, int):
        if work is None:
            raise TypeError("run_together(count, work) needs work(index)")
        targets = [lambda index=index: work(index) for index in range(calls)]
    else:
        if work is not None:
            raise TypeError("run_together(calls) takes no work: each call is called with no argument")
        targets = list(calls)
    barrier = threading.Barrier(len(targets))
    results: list[object] = [None] * len(targets)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = targets[index]()
        except BaseException as exc:  # returned to the test, which decides
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(len(targets))]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0.0))
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {len(threads)} threads still running after {timeout:.0f} s (deadlock?)"
    return results


def outcome(result: object) -> str:
    """``"ok"`` for a call that returned, the error code for a ``DomainError`` it raised.

    Any other exception is raised again: a race test never passes on an unexpected error.
    """
    if isinstance(result, DomainError):
        return result.code
    if isinstance(result, BaseException):
        raise result
    return "ok"
