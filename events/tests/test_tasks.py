"""The tasks are thin, and deliveries and emails go to their own queue."""

import pytest

from clicknback.celery import app
from events import tasks
from events.tests.support import endpoint_for, partner_purchase, partner_with_merchant
from users.tests.factories import UserFactory


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("events.tasks.send_webhook_delivery", "CELERY_WEBHOOK_QUEUE"),
        ("events.tasks.dispatch_webhook_deliveries", "CELERY_WEBHOOK_QUEUE"),
        ("events.tasks.send_notifications", "CELERY_WEBHOOK_QUEUE"),
        ("events.tasks.relay_events", "CELERY_TASK_DEFAULT_QUEUE"),
    ],
)
def test_deliveries_and_emails_have_their_own_queue(task, queue, settings):
    assert app.amqp.router.route({}, task)["queue"].name == getattr(settings, queue)


def test_the_beat_runs_the_relay_and_the_dispatcher(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"events.tasks.relay_events", "events.tasks.dispatch_webhook_deliveries"} <= scheduled


@pytest.mark.django_db
def test_the_relay_task_queues_one_sending_task_per_delivery(receiver, monkeypatch):
    # given a delivery waiting to be created
    published = []
    monkeypatch.setattr(tasks, "_publish", lambda task, *args: published.append((task.name, args)))
    server = receiver()
    partner, offer = partner_with_merchant()
    endpoint_for(partner, server.url, event_types=["purchase.created"])
    partner_purchase(partner, offer, UserFactory())

    # when the relay and the dispatcher run
    assert tasks.relay_events() == 1
    assert tasks.dispatch_webhook_deliveries() == 1

    # then one sending task was queued, and running it delivers
    names = [name for name, _ in published]
    assert names == [
        "events.tasks.dispatch_webhook_deliveries",
        "events.tasks.send_notifications",
        "events.tasks.send_webhook_delivery",
    ]
    tasks.send_webhook_delivery(*published[-1][1])
    assert len(server.received) == 1
