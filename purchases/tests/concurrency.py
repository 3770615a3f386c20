"""Run callables in real threads released together by a barrier (real PostgreSQL)."""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(count: int, work: Callable[[int], object], timeout: float = 60.0) -> list[object]:
    """Run ``work(i)`` for i in range(count) at the same moment; exceptions are returned."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = work(index)
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results
