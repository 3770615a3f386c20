"""GET /metrics: the Prometheus exporter, protected, with the job's and the requests' metrics."""

import pytest

from purchases.confirmation import purchase_claim_due, purchase_verify_chunk
from purchases.tests.factories import ingest

pytestmark = pytest.mark.django_db


def test_metrics_show_requests_backlog_review_queue_and_verifications(client, user):
    ingest(user)
    claims = purchase_claim_due(limit=10)
    purchase_verify_chunk(purchase_ids=[c.purchase_id for c in claims], claim_token=claims[0].token)
    ingest(user)
    client.get("/health/live")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'clicknback_http_requests_total{method="GET",route="^health/live/?$",status="200"}' in text
    assert "clicknback_http_request_duration_seconds_bucket" in text
    assert 'clicknback_confirmation_backlog{state="new"} 1.0' in text
    assert 'clicknback_confirmation_backlog_oldest_age_seconds{state="in_review"} 0.0' in text
    assert "clicknback_review_queue_size 0.0" in text
    assert 'clicknback_verifications_total{outcome="confirmed"}' in text
    assert 'clicknback_verification_duration_seconds_bucket{le="+Inf",outcome="confirmed"}' in text
    assert "clicknback_dispatcher_runs_total" in text
    assert 'clicknback_webhook_deliveries{outcome="failed"} 0.0' in text
    assert 'clicknback_webhook_deliveries{outcome="succeeded"} 0.0' in text
    assert "clicknback_events_waiting" in text


def test_metrics_are_refused_to_public_addresses(client):
    assert client.get("/metrics", REMOTE_ADDR="8.8.8.8").status_code == 403


def test_with_a_token_metrics_need_it(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
