"""A real Celery worker inside the test process (threads pool), for the job tests."""

from contextlib import contextmanager

from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from clicknback.celery import all_queues, app


def _close_thread_connections(**kwargs) -> None:
    # Runs in the worker thread that ran the task: its connections are its own, and a
    # pool thread's connection would otherwise outlive the test and keep the test
    # database from being dropped at the end of the run.
    connections.close_all()


@contextmanager
def thread_worker(*, concurrency: int, **options):
    """``start_worker`` on the test broker (every queue unless ``queues`` is given); each
    task's database connections close after it."""
    options.setdefault("queues", all_queues())
    task_postrun.connect(_close_thread_connections)
    try:
        with start_worker(
            app, pool="threads", concurrency=concurrency, perform_ping_check=False, loglevel="WARNING", **options
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_thread_connections)
