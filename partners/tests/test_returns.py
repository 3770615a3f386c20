"""Returns (contract §13): full returns are reversals; partial ones take cashback back in
proportion, round half even, the last one exactly what is left, never more than credited."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from clicknback.audit.models import AuditLog
from clicknback.audit.services import SYSTEM
from offers.models import CashbackType
from offers.tests.factories import OfferFactory
from partners.services import partner_update
from partners.tests.factories import partner_purchase
from payouts.services import payout_request
from purchases.models import CashbackTransaction, Purchase, PurchaseReturn
from purchases.reversal import cashback_for_return
from purchases.services import purchase_confirm, purchase_reject, purchase_reverse
from tests.support.ibans import BANK_DETAILS
from wallets.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db

URL = "/api/v1/partner/purchases"
D = Decimal


def returns_url(external_id: str) -> str:
    return f"{URL}/{external_id}/returns"


def wallet_of(user) -> Wallet:
    return Wallet.objects.get(user=user)


def reconciled() -> bool:
    out = StringIO()
    call_command("reconcile_wallets", stdout=out, stderr=StringIO())
    return "0 mismatches" in out.getvalue()


@pytest.fixture
def fixed_offer(partner):
    """``fixed_offer(value)``: the partner's merchant with a fixed-cashback offer of ``value``."""

    def make(value: Decimal):
        offer = OfferFactory(cashback_type=CashbackType.FIXED, cashback_value=value, monthly_cap=D("10000.00"))
        partner_update(partner_id=partner.pk, merchant_ids=[offer.merchant_id], actor=SYSTEM)
        return offer

    return make


# --- the proportional rule ---------------------------------------------------------------

# (credited, purchase amount, returned amounts in order, cashback each return takes back)
VECTORS = [
    # halves and exact shares
    ("5.00", "100.00", ["50.00", "50.00"], ["2.50", "2.50"]),
    ("5.00", "100.00", ["10.00", "90.00"], ["0.50", "4.50"]),
    ("0.52", "10.50", ["5.25", "5.25"], ["0.26", "0.26"]),
    # ties round half to even: 0.025 → 0.02, 0.075 → 0.08, 0.125 → 0.12; the last takes the rest
    ("2.50", "100.00", ["1.00", "3.00", "5.00", "91.00"], ["0.02", "0.08", "0.12", "2.28"]),
    ("0.05", "100.00", ["50.00", "50.00"], ["0.02", "0.03"]),
    ("0.15", "100.00", ["50.00", "50.00"], ["0.08", "0.07"]),
    # thirds: 3.333… → 3.33 twice, the last 3.34
    ("10.00", "30.00", ["10.00", "10.00", "10.00"], ["3.33", "3.33", "3.34"]),
    ("5.00", "100.00", ["33.33", "33.33", "33.34"], ["1.67", "1.67", "1.66"]),
    # shares too small to round to a cent: nothing until the last takes everything
    ("0.01", "3.00", ["1.00", "1.00", "1.00"], ["0.00", "0.00", "0.01"]),
    # shares rounding up would add to more than credited: capped by what is left
    ("0.05", "100.00", ["30.00", "30.00", "30.00", "10.00"], ["0.02", "0.02", "0.01", "0.00"]),
    # a single cent returned of a large purchase
    ("20.00", "9999.99", ["0.01", "9999.98"], ["0.00", "20.00"]),
]


@pytest.mark.parametrize(("credited", "amount", "returned", "taken"), VECTORS)
def test_the_proportional_rule_as_a_pure_function(credited, amount, returned, taken):
    # given
    already = D("0.00")
    left = D(amount)
    results = []
    # when
    for part in map(D, returned):
        left -= part
        share = (
            D(credited) - already
            if left == 0
            else cashback_for_return(
                credited=D(credited), already_taken=already, purchase_amount=D(amount), returned=part
            )
        )
        already += share
        results.append(share)
    # then
    assert results == [D(t) for t in taken]
    assert already == D(credited)


@pytest.mark.parametrize(("credited", "amount", "returned", "taken"), VECTORS)
def test_partial_returns_through_the_api_follow_the_rule(
    partner, partner_client, user, fixed_offer, credited, amount, returned, taken
):
    # given: a purchase credited exactly ``credited``
    offer = fixed_offer(D(credited))
    purchase = partner_purchase(partner, user, merchant=offer.merchant, amount=D(amount), external_id="vec")
    assert purchase.cashback.amount == D(credited)
    responses = []
    # when
    for index, part in enumerate(returned):
        body = {"return_id": f"r{index}", "amount": part, "reason": "Returned item"}
        responses.append(partner_client.post(returns_url("vec"), body, format="json"))
    # then
    assert [response.status_code for response in responses] == [200] * len(returned)
    stored = list(PurchaseReturn.objects.filter(purchase=purchase).order_by("created_at", "return_id"))
    assert [row.cashback_taken for row in stored] == [D(t) for t in taken]
    assert sum(row.cashback_taken for row in stored) == D(credited)
    last = responses[-1].json()
    assert (last["status"], last["returned_amount"], last["cashback_amount"]) == ("reversed", amount, "0.00")
    # every intermediate answer shows what is left of the purchase and of its cashback
    for index, response in enumerate(responses[:-1]):
        returned_so_far = sum(D(part) for part in returned[: index + 1])
        taken_so_far = sum(D(share) for share in taken[: index + 1])
        data = response.json()
        assert data["status"] == "pending"
        assert data["returned_amount"] == f"{returned_so_far:.2f}"
        assert data["cashback_amount"] == f"{D(credited) - taken_so_far:.2f}"
    assert wallet_of(user).pending_balance == D("0.00")
    assert reconciled()


def test_a_partial_return_keeps_the_status_and_takes_back_its_share(partner, partner_key_row, partner_client, user):
    # given: 100.00 at 5 % → 5.00 pending
    purchase = partner_purchase(partner, user, external_id="part-1")
    # when
    response = partner_client.post(
        returns_url("part-1"), {"return_id": "ret-1", "amount": "40.00", "reason": "One item back"}, format="json"
    )
    # then
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["cashback_status"]) == ("pending", "pending")
    assert (data["returned_amount"], data["cashback_amount"], data["status_reason"]) == (
        "40.00",
        "3.00",
        "One item back",
    )
    assert wallet_of(user).pending_balance == D("3.00")
    entry = LedgerEntry.objects.filter(source_id=purchase.pk).order_by("-created_at").first()
    assert entry.amount == D("-2.00")
    row = AuditLog.objects.get(action="purchase.returned", resource_id=str(purchase.pk))
    assert (row.actor_type, row.actor_id) == ("partner", partner.pk)
    assert row.details["api_key_id"] == str(partner_key_row.pk)
    assert (row.details["return_id"], row.details["cashback_taken"]) == ("ret-1", "2.00")
    assert reconciled()


def test_a_confirmed_purchase_s_partial_return_leaves_available(partner, partner_client, user):
    # given
    purchase = partner_purchase(partner, user, external_id="part-2")
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    # when
    response = partner_client.post(
        returns_url("part-2"), {"return_id": "ret-1", "amount": "20.00", "reason": "r"}, format="json"
    )
    # then
    data = response.json()
    assert (data["status"], data["cashback_status"], data["cashback_amount"]) == ("confirmed", "available", "4.00")
    wallet = wallet_of(user)
    assert (wallet.available_balance, wallet.owed_balance) == (D("4.00"), D("0.00"))
    assert reconciled()


def test_approving_after_a_partial_return_makes_only_the_rest_available(partner, partner_client, user):
    # given
    partner_purchase(partner, user, external_id="part-3")
    partner_client.post(returns_url("part-3"), {"return_id": "a", "amount": "50.00", "reason": "r"}, format="json")
    # when
    response = partner_client.post(f"{URL}/part-3/approve")
    # then
    assert response.json()["cashback_amount"] == "2.50"
    wallet = wallet_of(user)
    assert (wallet.pending_balance, wallet.available_balance) == (D("0.00"), D("2.50"))
    assert reconciled()


def _spent(user, purchase, amount: Decimal) -> None:
    """Confirm the purchase and pay ``amount`` of its cashback out, so available is short."""
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    payout_request(user=user, amount=amount, method="bank_transfer", details=BANK_DETAILS)


def test_a_partial_return_beyond_available_becomes_owed(partner, partner_client, user, fixed_offer):
    # given: 20.00 cashback confirmed, 15.00 of it paid out → 5.00 available
    offer = fixed_offer(D("20.00"))
    purchase = partner_purchase(partner, user, merchant=offer.merchant, amount=D("400.00"), external_id="owe-1")
    _spent(user, purchase, D("15.00"))
    # when: three quarters returned → 15.00 taken back
    response = partner_client.post(
        returns_url("owe-1"), {"return_id": "r", "amount": "300.00", "reason": "r"}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["cashback_amount"] == "5.00"
    wallet = wallet_of(user)
    assert (wallet.available_balance, wallet.owed_balance) == (D("0.00"), D("10.00"))
    assert AuditLog.objects.get(action="purchase.returned").details["clawback_owed"] == "10.00"
    assert reconciled()


def test_a_full_return_beyond_available_becomes_owed(partner, partner_client, user, fixed_offer):
    # given
    offer = fixed_offer(D("20.00"))
    purchase = partner_purchase(partner, user, merchant=offer.merchant, amount=D("400.00"), external_id="owe-2")
    _spent(user, purchase, D("12.00"))
    # when
    response = partner_client.post(returns_url("owe-2"), {"return_id": "r", "reason": "all back"}, format="json")
    # then
    assert response.json()["status"] == "reversed"
    wallet = wallet_of(user)
    assert (wallet.available_balance, wallet.owed_balance) == (D("0.00"), D("12.00"))
    assert reconciled()


def test_owed_is_settled_by_the_next_confirmed_cashback(partner, partner_client, user, fixed_offer):
    # given: 10.00 owed after a return
    offer = fixed_offer(D("20.00"))
    purchase = partner_purchase(partner, user, merchant=offer.merchant, amount=D("400.00"), external_id="owe-3")
    _spent(user, purchase, D("20.00"))
    partner_client.post(returns_url("owe-3"), {"return_id": "r", "amount": "200.00", "reason": "r"}, format="json")
    assert wallet_of(user).owed_balance == D("10.00")
    # when
    later = partner_purchase(partner, user, merchant=offer.merchant, amount=D("400.00"))
    partner_client.post(f"{URL}/{later.external_id}/approve")
    # then
    wallet = wallet_of(user)
    assert (wallet.owed_balance, wallet.available_balance) == (D("0.00"), D("10.00"))
    assert reconciled()


# --- full returns ------------------------------------------------------------------


@pytest.mark.parametrize("amount", [None, "100.00"])
def test_a_return_of_everything_reverses_a_pending_purchase(partner, partner_client, user, amount):
    # given
    purchase = partner_purchase(partner, user, external_id="full-1")
    body = {"return_id": "all", "reason": "Cancelled"} | ({"amount": amount} if amount else {})
    # when
    response = partner_client.post(returns_url("full-1"), body, format="json")
    # then
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["cashback_status"], data["cashback_amount"]) == ("reversed", "reversed", "0.00")
    assert (data["returned_amount"], data["status_reason"]) == ("100.00", "Cancelled")
    assert wallet_of(user).pending_balance == D("0.00")
    assert PurchaseReturn.objects.get(purchase=purchase).full
    assert reconciled()


def test_a_return_without_amount_after_partials_takes_exactly_what_is_left(partner, partner_client, user):
    # given: 5.00 credited, 1.67 taken back by a third
    partner_purchase(partner, user, external_id="full-2")
    partner_client.post(returns_url("full-2"), {"return_id": "a", "amount": "33.33", "reason": "r"}, format="json")
    # when
    response = partner_client.post(returns_url("full-2"), {"return_id": "b", "reason": "rest"}, format="json")
    # then
    assert response.json()["status"] == "reversed"
    assert response.json()["returned_amount"] == "100.00"
    taken = list(PurchaseReturn.objects.order_by("created_at").values_list("cashback_taken", "amount"))
    assert taken == [(D("1.67"), D("33.33")), (D("3.33"), D("66.67"))]
    assert wallet_of(user).pending_balance == D("0.00")
    assert reconciled()


def test_a_full_return_of_a_confirmed_purchase_leaves_available(partner, partner_client, user):
    # given
    purchase = partner_purchase(partner, user, external_id="full-3")
    purchase_confirm(purchase_id=purchase.pk, actor=SYSTEM)
    # when
    response = partner_client.post(returns_url("full-3"), {"return_id": "x", "reason": "r"}, format="json")
    # then
    assert response.json()["status"] == "reversed"
    assert wallet_of(user).available_balance == D("0.00")
    assert reconciled()


# --- idempotency, refusals, validation -----------------------------------------------


def test_the_same_return_id_again_answers_the_same_and_moves_nothing(partner, partner_client, user):
    # given
    partner_purchase(partner, user, external_id="idem-1")
    body = {"return_id": "once", "amount": "20.00", "reason": "r"}
    first = partner_client.post(returns_url("idem-1"), body, format="json")
    ledger, audits = LedgerEntry.objects.count(), AuditLog.objects.count()
    # when
    again = partner_client.post(returns_url("idem-1"), body, format="json")
    different_amount = partner_client.post(returns_url("idem-1"), body | {"amount": "70.00"}, format="json")
    # then
    assert again.status_code == different_amount.status_code == 200
    strip = lambda data: {k: v for k, v in data.items() if k != "updated_at"}  # noqa: E731
    assert strip(again.json()) == strip(first.json()) == strip(different_amount.json())
    assert (LedgerEntry.objects.count(), AuditLog.objects.filter(action="purchase.returned").count()) == (ledger, 1)
    assert AuditLog.objects.count() == audits
    assert PurchaseReturn.objects.count() == 1
    assert Purchase.objects.get().returned_amount == D("20.00")


def test_the_same_full_return_again_is_200_and_moves_nothing(partner, partner_client, user):
    # given
    partner_purchase(partner, user, external_id="idem-2")
    partner_client.post(returns_url("idem-2"), {"return_id": "all", "reason": "r"}, format="json")
    ledger = LedgerEntry.objects.count()
    # when
    again = partner_client.post(returns_url("idem-2"), {"return_id": "all", "reason": "r"}, format="json")
    # then
    assert again.status_code == 200
    assert again.json()["status"] == "reversed"
    assert LedgerEntry.objects.count() == ledger


def test_a_return_id_is_unique_per_purchase_only(partner, partner_client, user):
    # given
    partner_purchase(partner, user, external_id="one")
    partner_purchase(partner, user, external_id="two")
    # when
    partner_client.post(returns_url("one"), {"return_id": "R", "amount": "10.00", "reason": "r"}, format="json")
    response = partner_client.post(
        returns_url("two"), {"return_id": "R", "amount": "10.00", "reason": "r"}, format="json"
    )
    # then
    assert response.json()["returned_amount"] == "10.00"
    assert PurchaseReturn.objects.count() == 2


def test_a_return_larger_than_what_is_left_is_422_return_exceeds_purchase(partner, partner_client, user):
    # given
    partner_purchase(partner, user, external_id="big")
    partner_client.post(returns_url("big"), {"return_id": "a", "amount": "60.00", "reason": "r"}, format="json")
    ledger = LedgerEntry.objects.count()
    # when
    response = partner_client.post(
        returns_url("big"), {"return_id": "b", "amount": "40.01", "reason": "r"}, format="json"
    )
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "RETURN_EXCEEDS_PURCHASE"
    assert error["details"] == {"requested_amount": "40.01", "returnable_amount": "40.00"}
    assert LedgerEntry.objects.count() == ledger
    assert Purchase.objects.get().returned_amount == D("60.00")
    assert not PurchaseReturn.objects.filter(return_id="b").exists()


def test_a_return_larger_than_the_purchase_is_422(partner, partner_client, user):
    partner_purchase(partner, user, external_id="big-2")
    response = partner_client.post(
        returns_url("big-2"), {"return_id": "a", "amount": "100.01", "reason": "r"}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "RETURN_EXCEEDS_PURCHASE"


@pytest.mark.parametrize("how", ["rejected", "reversed", "returned"])
def test_a_rejected_or_reversed_purchase_is_409_purchase_not_reversible(partner, partner_client, user, how):
    # given
    purchase = partner_purchase(partner, user, external_id="gone")
    if how == "rejected":
        purchase_reject(purchase_id=purchase.pk, reason="no", actor=SYSTEM)
    elif how == "reversed":
        purchase_reverse(purchase_id=purchase.pk, actor=SYSTEM)
    else:
        partner_client.post(returns_url("gone"), {"return_id": "all", "reason": "r"}, format="json")
    ledger = LedgerEntry.objects.count()
    # when
    response = partner_client.post(
        returns_url("gone"), {"return_id": "new", "amount": "1.00", "reason": "r"}, format="json"
    )
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "PURCHASE_NOT_REVERSIBLE"
    assert error["details"]["current_status"] == ("rejected" if how == "rejected" else "reversed")
    assert LedgerEntry.objects.count() == ledger


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("return_id", {"reason": "r"}),
        ("return_id", {"return_id": "", "reason": "r"}),
        ("return_id", {"return_id": "x" * 256, "reason": "r"}),
        ("reason", {"return_id": "a"}),
        ("reason", {"return_id": "a", "reason": "x" * 501}),
        ("amount", {"return_id": "a", "reason": "r", "amount": "0"}),
        ("amount", {"return_id": "a", "reason": "r", "amount": "-5.00"}),
        ("amount", {"return_id": "a", "reason": "r", "amount": "1.005"}),
        ("amount", {"return_id": "a", "reason": "r", "amount": "abc"}),
    ],
)
def test_an_invalid_return_is_422_and_moves_nothing(partner, partner_client, user, field, body):
    # given
    partner_purchase(partner, user, external_id="val")
    ledger = LedgerEntry.objects.count()
    # when
    response = partner_client.post(returns_url("val"), body, format="json")
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["violations"][0]["field"] == field
    assert LedgerEntry.objects.count() == ledger


def test_a_partial_return_frees_room_under_the_monthly_cap(partner, partner_client, user):
    # given: 10 %, cap 10.00, filled by one purchase
    offer = OfferFactory(cashback_value=D("10.00"), monthly_cap=D("10.00"))
    partner_update(partner_id=partner.pk, merchant_ids=[offer.merchant_id], actor=SYSTEM)
    partner_purchase(partner, user, merchant=offer.merchant, external_id="cap-1")
    partner_client.post(returns_url("cap-1"), {"return_id": "a", "amount": "40.00", "reason": "r"}, format="json")
    # when
    later = partner_purchase(partner, user, merchant=offer.merchant, amount=D("100.00"))
    # then
    assert later.cashback.amount == D("4.00")
    assert sum(CashbackTransaction.objects.values_list("amount", flat=True)) - D("4.00") == D("10.00")


def test_returns_of_a_purchase_credited_nothing_move_nothing(partner, partner_client, user):
    # given: the cap is used up, so the purchase earned 0.00
    offer = OfferFactory(cashback_value=D("10.00"), monthly_cap=D("1.00"))
    partner_update(partner_id=partner.pk, merchant_ids=[offer.merchant_id], actor=SYSTEM)
    partner_purchase(partner, user, merchant=offer.merchant, amount=D("10.00"))
    partner_purchase(partner, user, merchant=offer.merchant, amount=D("10.00"), external_id="zero")
    ledger = LedgerEntry.objects.count()
    # when
    partial = partner_client.post(
        returns_url("zero"), {"return_id": "a", "amount": "5.00", "reason": "r"}, format="json"
    )
    rest = partner_client.post(returns_url("zero"), {"return_id": "b", "reason": "r"}, format="json")
    # then
    assert (partial.status_code, partial.json()["returned_amount"]) == (200, "5.00")
    assert (rest.status_code, rest.json()["status"]) == (200, "reversed")
    assert LedgerEntry.objects.count() == ledger
    assert wallet_of(user).pending_balance == D("1.00")
    assert reconciled()
