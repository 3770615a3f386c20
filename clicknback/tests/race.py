"""Run service calls from real threads released together (for row-lock race tests)."""

import threading
from collections.abc import Callable

from django.db import connection

from clicknback.errors import DomainError


def race_outcomes(n: int, call: Callable[[int], object]) -> list[str]:
    """Call ``call(i)`` from ``n`` threads at once; return the sorted outcomes:
    ``"ok"`` for a success, the error code for a ``DomainError``."""
    barrier = threading.Barrier(n)
    results: list[str] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            call(index)
            results.append("ok")
        except DomainError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)
