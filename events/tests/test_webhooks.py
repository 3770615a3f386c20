"""Partner webhooks (contract §14) against a real HTTP receiver on a loopback address."""

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from standardwebhooks import Webhook

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM
from events.deliveries import webhook_deliveries_claim, webhook_delivery_retry, webhook_delivery_send
from events.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from events.relay import events_relay
from events.tests.support import endpoint_for, partner_purchase, partner_with_merchant, run_once, run_until
from purchases.services import purchase_confirm
from purchases.tests.factories import ingest
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_confirmed_purchase_arrives_once_signed_with_the_documented_headers_and_body(receiver):
    # given a partner endpoint listening for confirmations
    server = receiver()
    partner, offer = partner_with_merchant()
    endpoint = endpoint_for(partner, server.url, event_types=["purchase.confirmed"])
    purchase = partner_purchase(partner, offer, UserFactory())

    # when the purchase is confirmed and the workers run (twice over)
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    run_until(lambda: len(server.received) >= 1)
    run_once()
    run_once()

    # then it arrived once, signed as Standard Webhooks says
    assert len(server.received) == 1
    request = server.received[0]
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= request.headers.keys()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-signature"].startswith("v1,")
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload["type"] == "purchase.confirmed"
    assert payload["id"] == request.headers["webhook-id"]
    assert set(payload) == {"id", "type", "occurred_at", "data"}
    assert payload["data"]["id"] == str(purchase.pk)
    assert payload["data"]["status"] == "confirmed"
    assert payload["data"]["cashback_status"] == "available"
    assert payload["data"]["partner_id"] == str(partner.pk)
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 1, 200)


def test_a_receiver_answering_500_twice_then_200_gets_three_attempts_on_the_schedule(receiver, settings):
    # given a schedule of 0.2 s then 0.4 s and a receiver failing twice
    settings.WEBHOOK_RETRY_SCHEDULE = [0.2, 0.4, 5]
    server = receiver(statuses=[500, 500, 200])
    partner, offer = partner_with_merchant()
    endpoint_for(partner, server.url, event_types=["purchase.created"])

    # when a purchase is reported and the workers run
    partner_purchase(partner, offer, UserFactory())
    run_until(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists())

    # then three attempts, each waiting its turn in the schedule
    assert len(server.received) == 3
    first, second, third = (r.at for r in server.received)
    assert second - first >= 0.2
    assert third - second >= 0.4
    assert third - second < 5
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 3
    assert [a.status_code for a in WebhookAttempt.objects.filter(delivery=delivery)] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in server.received}) == 1  # the same event each time


def test_an_endpoint_that_always_fails_ends_failed_and_is_deactivated_after_the_count(receiver, settings):
    # given deactivation after 2 failed events and one retry per delivery
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    settings.WEBHOOK_RETRY_SCHEDULE = [0.01]
    server = receiver(statuses=[503])
    partner, offer = partner_with_merchant()
    endpoint = endpoint_for(partner, server.url)
    purchase = partner_purchase(partner, offer, UserFactory())
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)

    # when the workers have given up on both events
    run_until(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).count() == 2)

    # then each was tried twice, and the endpoint is deactivated and audited
    assert len(server.received) == 4
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert endpoint.failures_in_row == 2
    assert AuditLog.objects.filter(action="webhook_endpoint.deactivated", resource_id=str(endpoint.pk)).exists()
    # and nothing more is sent to it
    partner_purchase(partner, offer, UserFactory())
    run_once()
    assert len(server.received) == 4


def test_a_success_resets_the_failures_in_a_row(receiver, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    server = receiver(statuses=[500, 200])
    partner, offer = partner_with_merchant()
    endpoint = endpoint_for(partner, server.url, event_types=["purchase.created"])
    partner_purchase(partner, offer, UserFactory())
    run_until(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).exists())
    endpoint.refresh_from_db()
    assert endpoint.failures_in_row == 1

    partner_purchase(partner, offer, UserFactory())
    run_until(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists())

    endpoint.refresh_from_db()
    assert endpoint.failures_in_row == 0
    assert endpoint.active is True


def test_the_events_of_one_purchase_arrive_in_the_order_they_happened(receiver, settings):
    # given a receiver that refuses the first request once
    settings.WEBHOOK_RETRY_SCHEDULE = [0.2]
    server = receiver(statuses=[500, 200])
    partner, offer = partner_with_merchant()
    endpoint_for(partner, server.url)
    purchase = partner_purchase(partner, offer, UserFactory())
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)

    # when both events are delivered
    run_until(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count() == 2)

    # then the confirmation waited for the creation's retry
    assert [json.loads(r.body)["type"] for r in server.received] == [
        "purchase.created",
        "purchase.created",
        "purchase.confirmed",
    ]


def test_a_partner_hears_only_of_its_own_purchases(receiver):
    server = receiver()
    partner, offer = partner_with_merchant()
    endpoint_for(partner, server.url)
    other, other_offer = partner_with_merchant("Other")
    user = UserFactory()

    partner_purchase(other, other_offer, user)
    ingest(user, offer=offer)  # the user's own report: no partner
    run_once()

    assert server.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_redirect_is_not_followed(receiver):
    # given a receiver on 127.0.0.1 redirecting to 127.0.0.2, which is not allowed
    target = receiver(host="127.0.0.2")
    redirecting = receiver(statuses=[307], location=target.url)
    partner, offer = partner_with_merchant()
    endpoint_for(partner, redirecting.url, event_types=["purchase.created"])

    # when the delivery is attempted
    partner_purchase(partner, offer, UserFactory())
    run_until(lambda: len(redirecting.received) >= 1)

    # then the redirect counts as a failure and nothing reached 127.0.0.2
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code == 307
    assert delivery.status == DeliveryStatus.PENDING  # retried later, never followed
    time.sleep(0.1)
    assert target.received == []


def test_the_url_is_checked_again_at_send_time(receiver, settings, monkeypatch):
    server = receiver()
    partner, offer = partner_with_merchant()
    endpoint_for(partner, server.url, event_types=["purchase.created"])
    settings.WEBHOOK_ALLOWED_HOSTS = []  # no longer allowed

    def no_connection(*args, **kwargs):
        raise AssertionError("no connection may be opened")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    partner_purchase(partner, offer, UserFactory())
    run_once()

    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1
    assert "not allowed" in delivery.last_error
    assert server.received == []


def test_a_worker_killed_mid_delivery_leaves_it_to_the_next_once_the_lease_expires(receiver):
    # given a delivery claimed by a worker that then dies before sending
    server = receiver()
    partner, offer = partner_with_merchant()
    endpoint_for(partner, server.url, event_types=["purchase.created"])
    partner_purchase(partner, offer, UserFactory())
    events_relay()
    [(delivery_id, _lost_token)] = webhook_deliveries_claim()

    # when another worker looks while the lease holds, then after it expired
    assert webhook_deliveries_claim() == []
    WebhookDelivery.objects.filter(pk=delivery_id).update(claimed_until=timezone.now() - timedelta(seconds=1))
    [(again, token)] = webhook_deliveries_claim()
    webhook_delivery_send(delivery_id=again, claim_token=token)

    # then it is delivered, and the dead worker's claim can no longer record anything
    assert again == delivery_id
    assert len(server.received) == 1
    assert webhook_delivery_send(delivery_id=delivery_id, claim_token=_lost_token) is None
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_relay_that_crashes_after_claiming_loses_no_event(receiver, monkeypatch):
    # given a relay that dies after claiming the events
    server = receiver()
    partner, offer = partner_with_merchant()
    endpoint_for(partner, server.url, event_types=["purchase.created"])
    partner_purchase(partner, offer, UserFactory())
    from events import relay

    original = relay.Notification.objects.bulk_create

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(relay.Notification.objects, "bulk_create", crash)
    with pytest.raises(RuntimeError):
        events_relay()
    assert not WebhookDelivery.objects.exists()

    # when it is restarted
    monkeypatch.setattr(relay.Notification.objects, "bulk_create", original)
    run_until(lambda: len(server.received) >= 1)

    # then the event is delivered
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_manual_retry_delivers_again(receiver):
    server = receiver()
    partner, offer = partner_with_merchant()
    endpoint_for(partner, server.url, event_types=["purchase.created"])
    partner_purchase(partner, offer, UserFactory())
    run_until(lambda: len(server.received) == 1)
    delivery = WebhookDelivery.objects.get()

    webhook_delivery_retry(delivery_id=delivery.pk, actor=SYSTEM)
    run_until(lambda: len(server.received) == 2)

    assert server.received[0].headers["webhook-id"] == server.received[1].headers["webhook-id"]
    assert WebhookDelivery.objects.get().attempts == 2


@pytest.mark.django_db(transaction=True)
def test_a_hanging_receiver_does_not_delay_another_partners_delivery(receiver, settings):
    # given one partner's receiver that hangs past the timeout, another's that answers
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.5
    hanging = receiver(hang=3.0)
    quick = receiver()
    slow_partner, slow_offer = partner_with_merchant("Slow")
    quick_partner, quick_offer = partner_with_merchant("Quick")
    endpoint_for(slow_partner, hanging.url, event_types=["purchase.created"])
    endpoint_for(quick_partner, quick.url, event_types=["purchase.created"])
    partner_purchase(slow_partner, slow_offer, UserFactory())
    partner_purchase(quick_partner, quick_offer, UserFactory())
    events_relay()
    claimed = webhook_deliveries_claim()
    assert len(claimed) == 2

    # when both are sent by two worker slots, the hanging one first
    def send(delivery_id, token):
        try:
            webhook_delivery_send(delivery_id=delivery_id, claim_token=token)
        finally:
            connection.close()

    by_endpoint = {WebhookDelivery.objects.get(pk=pk).endpoint.url: (pk, token) for pk, token in claimed}
    started = time.monotonic()
    threads = [threading.Thread(target=send, args=by_endpoint[url]) for url in (hanging.url, quick.url)]
    for thread in threads:
        thread.start()
    deadline = started + 5
    while not quick.received and time.monotonic() < deadline:
        time.sleep(0.01)
    quick_at = time.monotonic() - started
    for thread in threads:
        thread.join(timeout=5)

    # then the quick partner was served at once, and the hanging one timed out
    assert quick.received and quick_at < 1.0
    statuses = {d.endpoint.url: d for d in WebhookDelivery.objects.select_related("endpoint")}
    assert statuses[quick.url].status == DeliveryStatus.SUCCEEDED
    assert statuses[hanging.url].status == DeliveryStatus.PENDING
    assert "within" in statuses[hanging.url].last_error
