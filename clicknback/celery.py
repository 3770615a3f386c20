"""The Celery app: configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clicknback.settings")

app = Celery("clicknback")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _drop_stale_connections(**kwargs) -> None:
    """Connections are reused across tasks (CELERY_DB_REUSE_MAX); drop broken or expired ones
    first, so a worker recovers by itself after a database restart."""
    from django.db import close_old_connections

    close_old_connections()


def all_queues() -> str:
    """Every queue of the system, for ``celery worker -Q`` when one worker takes them all (tests)."""
    from django.conf import settings

    return ",".join([settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_VERIFY_QUEUE, settings.CELERY_WEBHOOK_QUEUE])


@app.task(name="clicknback.ping")
def ping() -> str:
    return "pong"
