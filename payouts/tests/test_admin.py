from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from clicknback.audit.models import AuditLog
from payouts.models import IdempotencyKey, Payout
from payouts.services import payout_request
from payouts.tests.factories import PayoutFactory
from tests.support.funding import fund_wallet
from tests.support.ibans import BANK_DETAILS, VALID_IBAN
from wallets.models import Wallet

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/payouts/payout/"


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def requested(user):
    fund_wallet(user, available=Decimal("50.00"))
    return payout_request(user=user, amount=Decimal("30.00"), method="bank_transfer", details=BANK_DETAILS)


def _action(staff_client, action, payouts, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(p.pk) for p in payouts], **extra}
    return staff_client.post(CHANGELIST, data, follow=True)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_payout_changelist_renders_with_the_masked_destination_only(staff_client, requested):
    # when
    response = staff_client.get(CHANGELIST)
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "****3000" in html
    assert VALID_IBAN not in html


@pytest.mark.parametrize(
    "query", ["?status__exact=requested", "?method__exact=card", "?q=example.com", "?requested_at__year=2026"]
)
def test_payout_changelist_filters_and_search_render(staff_client, requested, query):
    assert staff_client.get(CHANGELIST + query).status_code == 200


def test_payout_change_page_renders_without_the_full_destination(staff_client, requested):
    # when
    response = staff_client.get(f"{CHANGELIST}{requested.pk}/change/")
    # then
    assert response.status_code == 200
    assert VALID_IBAN not in response.content.decode()
    assert "Alice Example" not in response.content.decode()


def test_payouts_cannot_be_added_or_deleted_in_the_admin(staff_client, requested):
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403
    assert staff_client.get(f"{CHANGELIST}{requested.pk}/delete/").status_code == 403


def test_mark_processing_action_goes_through_the_service(staff_client, requested, admin_user):
    # when
    response = _action(staff_client, "mark_processing", [requested])
    # then
    assert Payout.objects.get(pk=requested.pk).status == "processing"
    row = AuditLog.objects.get(action="payout.processing")
    assert (row.actor_type, row.actor_id) == ("admin", admin_user.pk)
    assert any("marked processing" in message for message in _messages(response))


def test_mark_completed_asks_for_the_reference_first(staff_client, requested):
    # when
    response = _action(staff_client, "mark_completed", [requested])
    # then
    assert response.status_code == 200
    assert "External reference" in response.content.decode()
    assert Payout.objects.get(pk=requested.pk).status == "requested"


def test_mark_completed_with_a_reference_pays_the_payout(staff_client, requested):
    # when
    _action(staff_client, "mark_completed", [requested], apply="yes", value="SEPA-2026-1")
    # then
    payout = Payout.objects.get(pk=requested.pk)
    assert (payout.status, payout.external_reference) == ("completed", "SEPA-2026-1")
    assert Wallet.objects.get(user=requested.user).paid_balance == Decimal("30.00")


def test_mark_completed_without_a_reference_shows_the_form_again(staff_client, requested):
    # when
    response = _action(staff_client, "mark_completed", [requested], apply="yes", value="  ")
    # then
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert Payout.objects.get(pk=requested.pk).status == "requested"


def test_mark_failed_with_a_reason_refunds(staff_client, requested):
    # when
    _action(staff_client, "mark_failed", [requested], apply="yes", value="Beneficiary bank rejected")
    # then
    payout = Payout.objects.get(pk=requested.pk)
    assert (payout.status, payout.failure_reason) == ("failed", "Beneficiary bank rejected")
    assert Wallet.objects.get(user=requested.user).available_balance == Decimal("50.00")


def test_a_refused_action_shows_an_error_message_and_changes_nothing(staff_client, requested):
    # given
    _action(staff_client, "mark_completed", [requested], apply="yes", value="REF-1")
    # when
    response = _action(staff_client, "mark_failed", [requested], apply="yes", value="too late")
    # then
    assert response.status_code == 200
    assert any("Refused" in message and "completed" in message for message in _messages(response))
    assert Payout.objects.get(pk=requested.pk).status == "completed"
    assert Wallet.objects.get(user=requested.user).available_balance == Decimal("20.00")


def test_an_action_on_several_payouts_reports_each_refusal(staff_client, requested, user):
    # given
    done = PayoutFactory(user=user, status="completed")
    # when
    response = _action(staff_client, "mark_processing", [requested, done])
    # then
    messages = _messages(response)
    assert any("1 payout(s) marked processing" in message for message in messages)
    assert any(str(done.pk) in message for message in messages)


def test_idempotency_keys_are_read_only_in_the_admin(staff_client, user):
    # given
    payout = PayoutFactory(user=user)
    key = IdempotencyKey.objects.create(user=user, key="k-1", request_hash="h", payout=payout)
    # when / then
    assert staff_client.get("/admin/payouts/idempotencykey/").status_code == 200
    assert staff_client.get(f"/admin/payouts/idempotencykey/{key.pk}/change/").status_code == 200
    assert staff_client.get("/admin/payouts/idempotencykey/add/").status_code == 403
    assert staff_client.get(f"/admin/payouts/idempotencykey/{key.pk}/delete/").status_code == 403
