"""Each kind of task has its queue: beat tasks and the dispatcher, verifications, webhook deliveries."""

import pytest
from django.conf import settings

from clicknback.celery import all_queues, app


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("purchases.tasks.dispatch_purchase_confirmations", "CELERY_TASK_DEFAULT_QUEUE"),
        ("payouts.tasks.purge_idempotency_keys", "CELERY_TASK_DEFAULT_QUEUE"),
        ("purchases.tasks.verify_purchases", "CELERY_VERIFY_QUEUE"),
        ("purchases.tasks.verify_purchase", "CELERY_VERIFY_QUEUE"),
        ("events.tasks.send_webhook_delivery", "CELERY_WEBHOOK_QUEUE"),
    ],
)
def test_tasks_are_routed_to_their_queue(task, queue):
    route = app.amqp.router.route({}, task)
    assert route["queue"].name == getattr(settings, queue)


def test_task_events_are_on_and_all_queues_are_listed():
    assert app.conf.worker_send_task_events and app.conf.task_send_sent_event
    queues = [settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_VERIFY_QUEUE, settings.CELERY_WEBHOOK_QUEUE]
    assert all_queues().split(",") == queues and len(set(queues)) == 3
