"""A real Celery worker on the test broker and database."""

import pytest
from django.db import transaction

from clicknback.celery import app
from clicknback.tests import celery_tasks
from clicknback.tests.workers import thread_worker


@pytest.fixture
def celery_worker_thread():
    with thread_worker(concurrency=2) as worker:
        yield worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_on_commit_runs_in_a_real_worker_and_commits(celery_worker_thread):
    # given
    from clicknback.audit.models import AuditLog

    # when
    with transaction.atomic():
        transaction.on_commit(lambda: celery_tasks.record_probe.delay("probe-1"))
    # then
    assert celery_tasks.wait_for(lambda: AuditLog.objects.filter(resource_id="probe-1").exists())


def test_celery_is_configured_for_reliable_delivery():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.task_acks_late is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit and conf.task_soft_time_limit
    assert "dispatch-purchase-confirmations" in conf.beat_schedule
