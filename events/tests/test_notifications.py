"""User emails for §14 events: one per event, with the amount and the reason; opt-out."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from clicknback.audit.services import SYSTEM
from events.models import Notification, NotificationStatus
from events.notifications import notifications_send
from events.relay import events_relay
from events.tests.support import run_once
from payouts.models import PayoutStatus
from payouts.tests.factories import process_payout, request_payout
from purchases.services import purchase_confirm, purchase_reject, purchase_reverse
from purchases.tests.factories import ingest
from tests.support.funding import fund_wallet
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_cashback_available_sends_one_email_with_the_amount():
    user = UserFactory()
    purchase = ingest(user, amount=Decimal("100.00"), merchant_name="Shoply")
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)

    run_once()
    run_once()

    [message] = mail.outbox
    assert message.to == [user.email]
    assert "available" in message.subject
    assert "5.00 EUR" in message.body
    assert "Shoply" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "5.00 EUR" in html


def test_a_rejection_and_a_reversal_carry_their_reason():
    user = UserFactory()
    rejected = ingest(user)
    purchase_reject(purchase_id=rejected.pk, reason="No matching bank transaction.", actor=SYSTEM)
    reversed_ = ingest(user)
    purchase_confirm(purchase_id=reversed_.pk, actor=SYSTEM)
    purchase_reverse(purchase_id=reversed_.pk, actor=SYSTEM, reason="Order cancelled")

    run_once()

    bodies = {m.subject: m.body for m in mail.outbox}
    assert len(mail.outbox) == 3  # rejected, available, reversed
    assert "Reason: No matching bank transaction." in bodies["ClickNBack: Your cashback was rejected"]
    assert "Reason: Order cancelled" in bodies["ClickNBack: Your cashback was reversed"]


def test_payouts_completed_and_failed_are_emailed_but_not_requested():
    user = UserFactory()
    fund_wallet(user, available=Decimal("50.00"))
    run_once()
    mail.outbox.clear()
    completed = request_payout(user, amount=Decimal("20.00"))
    process_payout(completed, status=PayoutStatus.COMPLETED)
    failed = request_payout(user, amount=Decimal("10.00"))
    process_payout(failed, status=PayoutStatus.FAILED)

    run_once()

    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["ClickNBack: Your payout failed", "ClickNBack: Your payout was sent"]
    failed_body = next(m.body for m in mail.outbox if "failed" in m.subject)
    assert "10.00 EUR" in failed_body
    assert "Reason: Bank refused the transfer." in failed_body


def test_opting_out_over_the_api_stops_the_emails(user, user_client):
    response = user_client.patch("/api/v1/users/me/notification-settings", {"email_enabled": False}, format="json")
    assert response.status_code == 200
    assert response.json() == {"email_enabled": False}

    purchase = ingest(user)
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    run_once()

    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_opting_out_after_the_relay_still_stops_the_email(user):
    purchase = ingest(user)
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    events_relay()
    type(user).objects.filter(pk=user.pk).update(email_notifications=False)

    notifications_send()

    assert mail.outbox == []
    assert Notification.objects.get().status == NotificationStatus.SKIPPED


def test_the_setting_takes_a_boolean_only(user_client):
    response = user_client.patch("/api/v1/users/me/notification-settings", {"email_enabled": "yes"}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_a_retried_relay_and_a_sender_that_died_never_send_twice():
    user = UserFactory()
    purchase = ingest(user)
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    events_relay()
    # a sender claimed the email and died (mid-send): its lease expires
    Notification.objects.update(status=NotificationStatus.SENDING, claimed_until=timezone.now() - timedelta(seconds=1))

    # the relay runs again (the events are relayed: nothing new), and the senders too
    events_relay()
    run_once()
    run_once()

    assert mail.outbox == []  # at most once: given up rather than sent again
    assert Notification.objects.get().status == NotificationStatus.FAILED


def test_a_relay_run_twice_sends_one_email():
    user = UserFactory()
    purchase = ingest(user)
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    from clicknback.outbox.models import Event

    events_relay()
    Event.objects.update(relayed_at=None)  # as if the relay's mark had been lost
    events_relay()
    notifications_send()
    notifications_send()

    assert len(mail.outbox) == 1


def test_a_rolled_back_transition_sends_no_email():
    user = UserFactory()
    purchase = ingest(user)

    with pytest.raises(RuntimeError), transaction.atomic():
        purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
        raise RuntimeError("rolled back")
    run_once()

    assert mail.outbox == []


def test_a_returned_payout_is_emailed_with_its_reason_and_a_cancelled_one_is_not():
    from payouts.services import payout_cancel, payout_process

    user = UserFactory()
    fund_wallet(user, available=Decimal("50.00"))
    run_once()
    mail.outbox.clear()
    returned = request_payout(user, amount=Decimal("20.00"))
    process_payout(returned, status=PayoutStatus.COMPLETED)
    payout_process(payout_id=returned.pk, status=PayoutStatus.RETURNED, actor=SYSTEM, failure_reason="Account closed")
    cancelled = request_payout(user, amount=Decimal("10.00"))
    payout_cancel(payout_id=cancelled.pk, user_id=user.pk)

    run_once()

    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["ClickNBack: Your payout was returned", "ClickNBack: Your payout was sent"]
    assert "Reason: Account closed" in next(m.body for m in mail.outbox if "returned" in m.subject)
