"""Back office: pages render, confirm/reverse actions go through the services as the admin."""

import pytest
from django.urls import reverse

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM
from purchases.models import PurchaseStatus
from purchases.services import purchase_reject
from purchases.tests.factories import confirmed, ingest
from wallets.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "name",
    [
        "admin:purchases_purchase_changelist",
        "admin:purchases_cashbacktransaction_changelist",
        "admin:wallets_wallet_changelist",
        "admin:wallets_ledgerentry_changelist",
    ],
)
def test_changelists_render(staff_client, user, admin_user, name):
    confirmed(user, admin_user)
    ingest(user)
    response = staff_client.get(reverse(name))
    assert response.status_code == 200


def test_changelist_filters_and_search_render(staff_client, user):
    purchase = ingest(user)
    url = reverse("admin:purchases_purchase_changelist")
    assert staff_client.get(url, {"status__exact": "pending"}).status_code == 200
    assert staff_client.get(url, {"merchant__id__exact": str(purchase.merchant_id)}).status_code == 200
    response = staff_client.get(url, {"q": user.email})
    assert purchase.external_id in response.content.decode()


@pytest.mark.parametrize(
    ("name", "obj"),
    [
        ("admin:purchases_purchase_change", "purchase"),
        ("admin:purchases_cashbacktransaction_change", "cashback"),
        ("admin:wallets_wallet_change", "wallet"),
        ("admin:wallets_ledgerentry_change", "entry"),
    ],
)
def test_detail_pages_render_read_only(staff_client, user, name, obj):
    purchase = ingest(user)
    objects = {
        "purchase": purchase,
        "cashback": purchase.cashback,
        "wallet": Wallet.objects.get(user=user),
        "entry": LedgerEntry.objects.first(),
    }
    response = staff_client.get(reverse(name, args=[objects[obj].pk]))
    assert response.status_code == 200
    assert b'type="submit" value="Save"' not in response.content


@pytest.mark.parametrize(
    "name",
    [
        "admin:purchases_purchase_add",
        "admin:purchases_cashbacktransaction_add",
        "admin:wallets_wallet_add",
        "admin:wallets_ledgerentry_add",
    ],
)
def test_nothing_can_be_added_by_hand(staff_client, name):
    assert staff_client.get(reverse(name)).status_code == 403


def test_confirm_action_confirms_through_the_service_as_the_admin(staff_client, user, admin_user):
    # given
    purchase = ingest(user)
    # when
    response = staff_client.post(
        reverse("admin:purchases_purchase_changelist"),
        {"action": "confirm_selected", "_selected_action": [str(purchase.pk)]},
        follow=True,
    )
    # then
    purchase.refresh_from_db()
    assert response.status_code == 200
    assert purchase.status == PurchaseStatus.CONFIRMED
    assert Wallet.objects.get(user=user).available_balance == purchase.cashback.amount
    log = AuditLog.objects.get(action="purchase.confirmed")
    assert (log.actor_type, log.actor_id) == ("admin", admin_user.pk)


def test_reverse_action_reverses_through_the_service(staff_client, user, admin_user):
    purchase = confirmed(user, admin_user)
    staff_client.post(
        reverse("admin:purchases_purchase_changelist"),
        {"action": "reverse_selected", "_selected_action": [str(purchase.pk)]},
    )
    purchase.refresh_from_db()
    assert purchase.status == PurchaseStatus.REVERSED
    assert Wallet.objects.get(user=user).available_balance == 0


def test_a_refused_action_shows_an_error_and_changes_nothing(staff_client, user):
    # given
    purchase = ingest(user)
    purchase_reject(purchase_id=purchase.pk, reason="no", actor=SYSTEM)
    entries = LedgerEntry.objects.count()
    # when
    response = staff_client.post(
        reverse("admin:purchases_purchase_changelist"),
        {"action": "reverse_selected", "_selected_action": [str(purchase.pk)]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert any("rejected purchase cannot be reversed" in message for message in messages)
    assert LedgerEntry.objects.count() == entries
