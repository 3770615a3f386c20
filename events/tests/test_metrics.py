"""/metrics counts webhook deliveries by outcome and the events waiting for the relay."""

import pytest

from clicknback.audit.models import ActorType
from clicknback.audit.services import Actor
from events.tests.support import endpoint_for, partner_purchase, partner_with_merchant, run_until
from purchases.services import purchase_confirm

pytestmark = pytest.mark.django_db(transaction=True)


def test_deliveries_by_outcome_and_events_waiting(client, user, receiver):
    from events.models import DeliveryStatus, WebhookDelivery

    # given: one endpoint answering 200, one answering 500 for good; two events each
    ok, failing = receiver(statuses=[200]), receiver(statuses=[500])
    partner, offer = partner_with_merchant("Metrics")
    endpoint_for(partner, ok.url)
    endpoint_for(partner, failing.url)
    purchase = partner_purchase(partner, offer, user)
    purchase_confirm(purchase_id=purchase.pk, actor=Actor(ActorType.PARTNER, partner.pk))
    run_until(lambda: not WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists())
    partner_purchase(partner, offer, user)  # one event not relayed yet
    # when
    text = client.get("/metrics").content.decode()
    # then
    assert 'clicknback_webhook_deliveries{outcome="succeeded"} 2.0' in text
    assert 'clicknback_webhook_deliveries{outcome="failed"} 2.0' in text
    assert 'clicknback_webhook_deliveries{outcome="pending"} 0.0' in text
    assert "clicknback_events_waiting 1.0" in text
