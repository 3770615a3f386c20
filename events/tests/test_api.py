"""The partner webhook API (contract §14): endpoints, deliveries, retry, URL checks."""

import socket

import pytest
from rest_framework.test import APIClient

from clicknback.audit.models import AuditLog
from events.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from events.tests.support import SYSTEM_ADMIN, partner_purchase, partner_with_merchant, run_until
from partners.services import api_key_create
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner_client():
    partner, offer = partner_with_merchant()
    _, key = api_key_create(partner_id=partner.pk, name="test", actor=SYSTEM_ADMIN)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    client.partner, client.offer = partner, offer
    return client


@pytest.fixture
def no_connections(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no connection may be opened")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[::ffff:10.0.0.1]/hooks",
        "https://0.0.0.0/hooks",
        "https://224.0.0.1/hooks",
        "http://hooks.example.com/plain-http",
        "ftp://hooks.example.com/",
        "https://user:pw@hooks.example.com/",
    ],
)
def test_an_internal_or_non_https_url_is_refused_without_connecting(
    partner_client, settings, no_connections, url, monkeypatch
):
    # given no allowed hosts, and a public name for the http case
    settings.WEBHOOK_ALLOWED_HOSTS = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", ("93.184.215.14", 443))])

    # when the partner registers it
    response = partner_client.post("/api/v1/partner/webhook-endpoints", {"url": url}, format="json")

    # then 422 and nothing stored
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == "WEBHOOK_URL_NOT_ALLOWED"
    assert not WebhookEndpoint.objects.exists()


def test_a_name_resolving_to_a_private_address_is_refused(partner_client, settings, no_connections, monkeypatch):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [
            (socket.AF_INET, 1, 6, "", ("93.184.215.14", 443)),
            (socket.AF_INET, 1, 6, "", ("192.168.1.20", 443)),
        ],
    )

    response = partner_client.post(
        "/api/v1/partner/webhook-endpoints", {"url": "https://hooks.internal.example/x"}, format="json"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "WEBHOOK_URL_NOT_ALLOWED"


def test_a_public_https_url_is_accepted_and_its_secret_shown_once(
    partner_client, settings, no_connections, monkeypatch
):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", ("93.184.215.14", 443))])

    created = partner_client.post(
        "/api/v1/partner/webhook-endpoints", {"url": "https://hooks.example.com/cnb"}, format="json"
    )
    listed = partner_client.get("/api/v1/partner/webhook-endpoints")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["active"] is True
    assert body["event_types"] == [
        "purchase.created",
        "purchase.confirmed",
        "purchase.rejected",
        "purchase.reversed",
        "purchase.returned",
    ]
    assert listed.status_code == 200
    assert listed.json()["pagination"]["total"] == 1
    assert "secret" not in listed.json()["data"][0]
    assert AuditLog.objects.filter(action="webhook_endpoint.created", actor_type="partner").exists()


def test_an_allowed_host_may_use_http(partner_client):
    response = partner_client.post(
        "/api/v1/partner/webhook-endpoints", {"url": "http://127.0.0.1:9/hooks"}, format="json"
    )
    assert response.status_code == 201


def test_a_payout_event_type_is_refused(partner_client):
    response = partner_client.post(
        "/api/v1/partner/webhook-endpoints",
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["payout.completed"]},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_deleting_an_endpoint_stops_it_and_another_partner_cannot(partner_client):
    created = partner_client.post(
        "/api/v1/partner/webhook-endpoints", {"url": "http://127.0.0.1:9/hooks"}, format="json"
    ).json()
    other, _ = partner_with_merchant("Other")
    _, key = api_key_create(partner_id=other.pk, name="other", actor=SYSTEM_ADMIN)
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    assert stranger.delete(f"/api/v1/partner/webhook-endpoints/{created['id']}").status_code == 404
    assert partner_client.delete(f"/api/v1/partner/webhook-endpoints/{created['id']}").status_code == 204
    assert partner_client.delete(f"/api/v1/partner/webhook-endpoints/{created['id']}").status_code == 404
    assert partner_client.get("/api/v1/partner/webhook-endpoints").json()["pagination"]["total"] == 0
    assert WebhookEndpoint.objects.get().active is False


def test_a_jwt_does_not_open_the_webhook_api(user_client):
    assert user_client.get("/api/v1/partner/webhook-endpoints").json()["error"]["code"] == "INVALID_API_KEY"


def test_deliveries_are_listed_filtered_and_retried(partner_client, receiver):
    server = receiver()
    created = partner_client.post(
        "/api/v1/partner/webhook-endpoints", {"url": server.url, "event_types": ["purchase.created"]}, format="json"
    ).json()
    partner_purchase(partner_client.partner, partner_client.offer, UserFactory())
    run_until(lambda: len(server.received) == 1)

    page = partner_client.get(f"/api/v1/partner/webhook-deliveries?endpoint_id={created['id']}&status=succeeded")
    assert page.status_code == 200
    [row] = page.json()["data"]
    assert row["event_type"] == "purchase.created"
    assert row["status"] == "succeeded"
    assert row["attempts"] == 1
    assert row["last_status_code"] == 200
    assert row["endpoint_id"] == created["id"]
    assert set(row) == {
        "id",
        "event_id",
        "event_type",
        "endpoint_id",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
    }
    assert partner_client.get("/api/v1/partner/webhook-deliveries?status=failed").json()["data"] == []
    assert partner_client.get("/api/v1/partner/webhook-deliveries?status=bogus").status_code == 422

    retried = partner_client.post(f"/api/v1/partner/webhook-deliveries/{row['id']}/retry")
    assert retried.status_code == 202
    assert retried.json()["status"] == "pending"
    run_until(lambda: len(server.received) == 2)
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_retrying_an_unknown_delivery_is_a_404(partner_client):
    response = partner_client.post("/api/v1/partner/webhook-deliveries/not-a-uuid/retry")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
