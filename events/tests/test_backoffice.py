"""Back office: webhook pages render, actions go through the services, events on the
purchase page, webhook health on the dashboard, and the wallet page's email switch."""

import pytest
from django.urls import reverse

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM
from events.models import DeliveryStatus, WebhookDelivery
from events.tests.support import endpoint_for, partner_purchase, partner_with_merchant, run_until
from purchases.services import purchase_confirm
from purchases.tests.factories import ingest
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def delivered(receiver):
    server = receiver()
    partner, offer = partner_with_merchant()
    endpoint = endpoint_for(partner, server.url, event_types=["purchase.created"])
    purchase = partner_purchase(partner, offer, UserFactory())
    run_until(lambda: len(server.received) == 1)
    return endpoint, purchase, server


@pytest.mark.parametrize(
    "name",
    [
        "admin:events_webhookendpoint_changelist",
        "admin:events_webhookdelivery_changelist",
        "admin:events_notification_changelist",
        "admin:outbox_event_changelist",
    ],
)
def test_changelists_render(staff_client, delivered, name):
    assert staff_client.get(reverse(name)).status_code == 200


def test_delivery_filters_and_detail_render(staff_client, delivered):
    endpoint, _, _ = delivered
    url = reverse("admin:events_webhookdelivery_changelist")
    for query in (
        {"status__exact": "succeeded"},
        {"event_type": "purchase.created"},
        {"endpoint__partner__id__exact": str(endpoint.partner_id)},
    ):
        assert staff_client.get(url, query).status_code == 200
    delivery = WebhookDelivery.objects.get()
    page = staff_client.get(reverse("admin:events_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert endpoint.secret not in page.content.decode()
    endpoint_page = staff_client.get(reverse("admin:events_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint_page.status_code == 200
    assert endpoint.secret not in endpoint_page.content.decode()


def test_deactivate_reactivate_and_retry_actions(staff_client, delivered):
    endpoint, _, server = delivered
    endpoints = reverse("admin:events_webhookendpoint_changelist")
    staff_client.post(endpoints, {"action": "deactivate", "_selected_action": [str(endpoint.pk)]})
    endpoint.refresh_from_db()
    assert endpoint.active is False
    staff_client.post(endpoints, {"action": "reactivate", "_selected_action": [str(endpoint.pk)]})
    endpoint.refresh_from_db()
    assert endpoint.active is True
    assert AuditLog.objects.filter(action="webhook_endpoint.deactivated", actor_type="admin").exists()

    delivery = WebhookDelivery.objects.get()
    deliveries = reverse("admin:events_webhookdelivery_changelist")
    staff_client.post(deliveries, {"action": "retry", "_selected_action": [str(delivery.pk)]})
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    run_until(lambda: len(server.received) == 2)


def test_the_purchase_page_lists_its_events(staff_client, user):
    purchase = ingest(user)
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)

    page = staff_client.get(reverse("admin:purchases_purchase_change", args=[purchase.pk])).content.decode()

    assert "purchase.created" in page
    assert "purchase.confirmed (waiting)" in page


def test_the_dashboard_shows_events_waiting_and_deliveries_failing(staff_client, user, settings, receiver):
    settings.WEBHOOK_RETRY_SCHEDULE = []
    server = receiver(statuses=[500])
    partner, offer = partner_with_merchant()
    endpoint_for(partner, server.url, event_types=["purchase.created"])
    partner_purchase(partner, offer, UserFactory())
    run_until(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).exists())
    ingest(user)  # waiting for the relay

    page = staff_client.get(reverse("backoffice-dashboard")).content.decode()

    assert 'id="card-events-waiting"' in page
    assert 'id="card-deliveries-failing"' in page


def test_the_wallet_page_switches_emails_off_and_on(user, client):
    client.force_login(user)
    page = client.get("/wallet/").content.decode()
    title = page[page.index("<title>") : page.index("</title>")]
    assert "Email notifications" not in title
    main = page[page.index("<main") :]
    assert 'action="/wallet/notifications/"' in main
    assert 'name="email_enabled" checked' in main

    client.post("/wallet/notifications/", {})
    user.refresh_from_db()
    assert user.email_notifications is False

    client.post("/wallet/notifications/", {"email_enabled": "on"})
    user.refresh_from_db()
    assert user.email_notifications is True
