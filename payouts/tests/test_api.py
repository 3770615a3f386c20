import uuid
from decimal import Decimal

import pytest

from clicknback.audit.models import AuditLog
from payouts.models import Payout
from payouts.tests.factories import CARD_DETAILS, PayoutFactory
from tests.support.funding import fund_wallet
from tests.support.ibans import BANK_DETAILS, IBAN_BAD_CHECKSUM, IBAN_TOO_SHORT, VALID_IBAN
from users.tests.factories import UserFactory
from wallets.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db

CREATE_PATHS = ["/api/v1/users/payouts", "/api/v1/users/payouts/", "/api/v1/users/wallet/withdraw"]
PAYOUT_FIELDS = {
    "id",
    "user_id",
    "amount",
    "method",
    "status",
    "destination",
    "external_reference",
    "failure_reason",
    "requested_at",
    "processed_at",
}


def _body(amount="25.00", method="bank_transfer", details=None):
    return {"amount": amount, "method": method, "details": details if details is not None else BANK_DETAILS}


def _process(client, payout_id, **body):
    return client.patch(f"/api/v1/admin/payouts/{payout_id}/process", body, format="json")


def _available(user) -> Decimal:
    return Wallet.objects.get(user=user).available_balance


# --- POST /users/payouts and /users/wallet/withdraw ------------------------------


@pytest.mark.parametrize("path", CREATE_PATHS)
def test_request_payout_returns_201_with_the_masked_payout(user, user_client, path):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    response = user_client.post(path, _body("25.00"), format="json")
    # then
    assert response.status_code == 201
    body = response.json()
    assert set(body) == PAYOUT_FIELDS
    assert body["user_id"] == str(user.pk)
    assert (body["amount"], body["method"], body["status"]) == ("25.00", "bank_transfer", "requested")
    assert body["destination"] == "****3000"
    assert (body["external_reference"], body["failure_reason"], body["processed_at"]) == (None, None, None)
    assert body["requested_at"].endswith("Z")
    assert _available(user) == Decimal("15.00")


def test_amount_may_be_a_json_number(user, user_client):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    response = user_client.post(
        "/api/v1/users/payouts",
        data=b'{"amount": 12.5, "method": "card", "details": {"card_token": "tok_visa_4242"}}',
        content_type="application/json",
    )
    # then
    assert response.status_code == 201
    assert (response.json()["amount"], response.json()["destination"]) == ("12.50", "****4242")


def test_the_full_iban_never_appears_in_the_response(user, user_client):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    response = user_client.post("/api/v1/users/payouts", _body(), format="json")
    # then
    assert VALID_IBAN not in response.content.decode()
    assert "Alice Example" not in response.content.decode()


def test_request_without_a_token_is_401(api_client):
    # when
    response = api_client.post("/api/v1/users/payouts", _body(), format="json")
    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_insufficient_balance_is_409_with_details_and_nothing_changes(user, user_client):
    # given
    fund_wallet(user, available=Decimal("12.00"))
    # when
    response = user_client.post("/api/v1/users/payouts", _body("12.01"), format="json")
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "INSUFFICIENT_BALANCE"
    assert error["details"] == {"requested_amount": "12.01", "available_balance": "12.00"}
    assert _available(user) == Decimal("12.00")
    assert not Payout.objects.exists()


def test_below_minimum_is_422_policy_violation(user, user_client):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    response = user_client.post("/api/v1/users/payouts", _body("9.99"), format="json")
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "PAYOUT_POLICY_VIOLATION"
    assert error["details"]["violations"][0]["field"] == "amount"
    assert not Payout.objects.exists()


def test_above_monthly_limit_is_422_policy_violation(user, user_client):
    # given
    fund_wallet(user, available=Decimal("400.00"))
    # when
    response = user_client.post("/api/v1/users/payouts", _body("100.01"), format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "PAYOUT_POLICY_VIOLATION"
    assert _available(user) == Decimal("400.00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "card", "details": CARD_DETAILS}, "amount"),
        (_body(amount="10.001"), "amount"),
        (_body(amount="-10.00"), "amount"),
        (_body(amount="0"), "amount"),
        (_body(amount="1e3"), "amount"),
        (_body(amount="NaN"), "amount"),
        (_body(amount="99999999999.00"), "amount"),
        (_body(method="cash"), "method"),
        ({"amount": "20.00", "method": "card"}, "details"),
        (_body(details=VALID_IBAN), "details"),
        (_body(details={"iban": IBAN_BAD_CHECKSUM, "account_holder": "A"}), "details.iban"),
        (_body(details={"iban": IBAN_TOO_SHORT, "account_holder": "A"}), "details.iban"),
        (_body(details={"iban": VALID_IBAN}), "details.account_holder"),
        (_body(method="card", details={"iban": VALID_IBAN}), "details.card_token"),
    ],
)
def test_invalid_bodies_are_422_validation_errors_naming_the_field(user, user_client, body, field):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    # when
    response = user_client.post("/api/v1/users/payouts", body, format="json")
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["violations"][0]["field"] == field
    assert not Payout.objects.exists()
    assert _available(user) == Decimal("40.00")


def test_malformed_json_is_422(user_client):
    # when
    response = user_client.post("/api/v1/users/payouts", data=b"{nope", content_type="application/json")
    # then
    assert response.status_code == 422


def test_client_cannot_set_status_or_user(user, user_client, other_user):
    # given
    fund_wallet(user, available=Decimal("40.00"))
    body = {**_body(), "status": "completed", "user_id": str(other_user.pk), "id": str(uuid.uuid4())}
    # when
    response = user_client.post("/api/v1/users/payouts", body, format="json")
    # then
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["user_id"]) == ("requested", str(user.pk))


def test_admins_can_withdraw_their_own_cashback(admin_user, admin_client):
    # given
    fund_wallet(admin_user, available=Decimal("40.00"))
    # when
    response = admin_client.post("/api/v1/users/wallet/withdraw", _body("10.00"), format="json")
    # then
    assert response.status_code == 201
    assert AuditLog.objects.get(action="payout.requested").actor_type == "admin"


# --- GET /users/payouts ----------------------------------------------------------


def test_user_list_shows_only_the_callers_payouts_newest_first(user, user_client, other_user):
    # given
    first = PayoutFactory(user=user)
    second = PayoutFactory(user=user)
    PayoutFactory(user=other_user)
    # when
    response = user_client.get("/api/v1/users/payouts")
    # then
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["data"]] == [str(second.pk), str(first.pk)]
    assert body["pagination"] == {"offset": 0, "limit": 10, "total": 2}
    assert set(body["data"][0]) == PAYOUT_FIELDS


def test_user_list_filters_by_status(user, user_client):
    # given
    PayoutFactory(user=user, status="completed")
    failed = PayoutFactory(user=user, status="failed")
    # when
    response = user_client.get("/api/v1/users/payouts?status=failed")
    # then
    assert [item["id"] for item in response.json()["data"]] == [str(failed.pk)]


def test_user_list_with_a_blank_status_is_not_filtered(user, user_client):
    # given
    PayoutFactory.create_batch(2, user=user)
    # when
    response = user_client.get("/api/v1/users/payouts?status=")
    # then
    assert response.status_code == 200
    assert response.json()["pagination"]["total"] == 2


@pytest.mark.parametrize("query", ["status=paid", "limit=0", "limit=101", "offset=-1", "limit=x"])
def test_user_list_bad_query_is_422(user_client, query):
    # when
    response = user_client.get(f"/api/v1/users/payouts?{query}")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_user_list_pages(user, user_client):
    # given
    PayoutFactory.create_batch(5, user=user)
    # when
    response = user_client.get("/api/v1/users/payouts?offset=3&limit=2")
    # then
    assert len(response.json()["data"]) == 2
    assert response.json()["pagination"] == {"offset": 3, "limit": 2, "total": 5}


def test_user_list_without_a_token_is_401(api_client):
    assert api_client.get("/api/v1/users/payouts").status_code == 401


def test_user_list_query_count_does_not_grow_with_the_page(user, user_client, django_assert_max_num_queries):
    # given
    PayoutFactory.create_batch(30, user=user)
    # when / then
    with django_assert_max_num_queries(3):
        response = user_client.get("/api/v1/users/payouts?limit=100")
    assert len(response.json()["data"]) == 30


# --- GET /admin/payouts ----------------------------------------------------------


def test_admin_list_shows_every_payout(admin_client, user, other_user):
    # given
    PayoutFactory(user=user)
    PayoutFactory(user=other_user)
    # when
    response = admin_client.get("/api/v1/admin/payouts")
    # then
    assert response.status_code == 200
    assert response.json()["pagination"]["total"] == 2


def test_admin_list_filters_by_user_and_status(admin_client, user, other_user):
    # given
    wanted = PayoutFactory(user=user, status="processing")
    PayoutFactory(user=user, status="requested")
    PayoutFactory(user=other_user, status="processing")
    # when
    response = admin_client.get(f"/api/v1/admin/payouts/?user_id={user.pk}&status=processing")
    # then
    assert [item["id"] for item in response.json()["data"]] == [str(wanted.pk)]


@pytest.mark.parametrize("query", ["status=nope", "user_id=not-a-uuid", "user_id=123"])
def test_admin_list_bad_filters_are_422(admin_client, query):
    # when
    response = admin_client.get(f"/api/v1/admin/payouts?{query}")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_admin_list_is_forbidden_to_users(user_client):
    # when
    response = user_client.get("/api/v1/admin/payouts")
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_admin_list_without_a_token_is_401(api_client):
    assert api_client.get("/api/v1/admin/payouts").status_code == 401


def test_admin_list_query_count_is_fixed(admin_client, django_assert_max_num_queries):
    # given
    for _ in range(3):
        PayoutFactory.create_batch(10, user=UserFactory())
    # when / then
    with django_assert_max_num_queries(3):
        response = admin_client.get("/api/v1/admin/payouts?limit=50")
    assert len(response.json()["data"]) == 30


# --- PATCH /admin/payouts/{id}/process -------------------------------------------


@pytest.fixture
def requested(user):
    from payouts.services import payout_request

    fund_wallet(user, available=Decimal("50.00"))
    return payout_request(user=user, amount=Decimal("30.00"), method="bank_transfer", details=BANK_DETAILS)


def test_process_to_processing_returns_the_payout(admin_client, requested):
    # when
    response = _process(admin_client, requested.pk, status="processing")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "processing"
    assert response.json()["destination"] == "****3000"


def test_process_to_completed_sets_reference_and_pays(admin_client, requested):
    # when
    response = _process(admin_client, requested.pk, status="completed", external_reference="SEPA-77")
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["external_reference"]) == ("completed", "SEPA-77")
    assert body["processed_at"].endswith("Z")
    assert Wallet.objects.get(user=requested.user).paid_balance == Decimal("30.00")


def test_process_to_failed_refunds(admin_client, requested):
    # when
    response = _process(admin_client, requested.pk, status="failed", failure_reason="Account closed")
    # then
    assert response.status_code == 200
    assert response.json()["failure_reason"] == "Account closed"
    assert _available(requested.user) == Decimal("50.00")


def test_processing_a_payout_a_second_time_is_409_and_balances_are_unchanged(admin_client, requested):
    # given
    _process(admin_client, requested.pk, status="completed")
    wallet = Wallet.objects.get(user=requested.user)
    entries = LedgerEntry.objects.count()
    # when
    response = _process(admin_client, requested.pk, status="completed")
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "INVALID_PAYOUT_TRANSITION"
    assert error["details"] == {"current_status": "completed", "allowed": ["returned"]}
    after = Wallet.objects.get(user=requested.user)
    assert (after.available_balance, after.paid_balance) == (wallet.available_balance, wallet.paid_balance)
    assert LedgerEntry.objects.count() == entries


def test_failing_a_completed_payout_is_409(admin_client, requested):
    # given
    _process(admin_client, requested.pk, status="completed")
    # when
    response = _process(admin_client, requested.pk, status="failed")
    # then
    assert response.status_code == 409
    assert _available(requested.user) == Decimal("20.00")


@pytest.mark.parametrize("payout_id", [uuid.uuid4(), "not-a-uuid"])
def test_process_unknown_payout_is_404(admin_client, payout_id):
    # when
    response = _process(admin_client, payout_id, status="completed")
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": "requested"},
        {"status": "paid"},
        {"status": "completed", "failure_reason": "why"},
        {"status": "completed", "external_reference": "x" * 256},
    ],
)
def test_process_invalid_body_is_422_and_nothing_changes(admin_client, requested, body):
    # when
    response = admin_client.patch(f"/api/v1/admin/payouts/{requested.pk}/process", body, format="json")
    # then
    assert response.status_code == 422
    assert Payout.objects.get(pk=requested.pk).status == "requested"


def test_process_is_forbidden_to_users(user_client, requested):
    # when
    response = _process(user_client, requested.pk, status="completed")
    # then
    assert response.status_code == 403
    assert Payout.objects.get(pk=requested.pk).status == "requested"


def test_process_without_a_token_is_401(api_client, requested):
    assert _process(api_client, requested.pk, status="completed").status_code == 401


def test_process_answers_with_a_trailing_slash_too(admin_client, requested):
    # when
    response = admin_client.patch(
        f"/api/v1/admin/payouts/{requested.pk}/process/", {"status": "processing"}, format="json"
    )
    # then
    assert response.status_code == 200


def test_process_with_get_is_405(admin_client, requested):
    assert admin_client.get(f"/api/v1/admin/payouts/{requested.pk}/process").status_code == 405


def test_schema_documents_the_payout_operations(client):
    # when
    schema = client.get("/api/schema/?format=json").json()
    # then
    paths = schema["paths"]
    assert "post" in paths["/api/v1/users/payouts/"] and "get" in paths["/api/v1/users/payouts/"]
    assert "post" in paths["/api/v1/users/wallet/withdraw/"]
    process = paths["/api/v1/admin/payouts/{payout_id}/process/"]["patch"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(process["responses"])
