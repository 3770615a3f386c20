import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from payouts.idempotency import IdempotentRequest, idempotency_key_lock, idempotency_keys_purge, request_hash
from payouts.models import IdempotencyKey, Payout
from payouts.services import payout_request
from payouts.tasks import purge_idempotency_keys
from payouts.tests.factories import CARD_DETAILS, PayoutFactory
from tests.support.funding import fund_wallet
from tests.support.ibans import BANK_DETAILS
from wallets.models import Wallet

pytestmark = pytest.mark.django_db

PATH = "/api/v1/users/payouts"
BODY = {"amount": "20.00", "method": "bank_transfer", "details": BANK_DETAILS}


def _post(client, body=BODY, key="key-1", path=PATH):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _available(user) -> Decimal:
    return Wallet.objects.get(user=user).available_balance


def test_a_repeat_with_the_same_key_and_body_replays_the_first_response(user, user_client):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    first = _post(user_client)
    # when
    second = _post(user_client)
    # then
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Payout.objects.count() == 1
    assert _available(user) == Decimal("80.00")


def test_the_alias_path_shares_the_key(user, user_client):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    first = _post(user_client)
    # when
    second = _post(user_client, path="/api/v1/users/wallet/withdraw")
    # then
    assert second.json()["id"] == first.json()["id"]
    assert Payout.objects.count() == 1


def test_the_replay_is_the_first_response_even_after_the_payout_moved_on(user, user_client, admin_client):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    first = _post(user_client)
    admin_client.patch(f"/api/v1/admin/payouts/{first.json()['id']}/process", {"status": "completed"}, format="json")
    # when
    second = _post(user_client)
    # then
    assert second.json()["status"] == "requested"


def test_the_same_key_with_another_body_is_422_idempotency_key_reused(user, user_client):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    _post(user_client)
    # when
    response = _post(user_client, body={**BODY, "amount": "21.00"})
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert Payout.objects.count() == 1
    assert _available(user) == Decimal("80.00")


@pytest.mark.django_db(transaction=True)
def test_a_key_still_in_flight_is_409_idempotency_key_in_use(user, user_client):
    # given: the first request holds the key in its open transaction, on another connection
    fund_wallet(user, available=Decimal("100.00"))
    holding, release = threading.Event(), threading.Event()

    def first_request_in_flight():
        try:
            with transaction.atomic():
                idempotency_key_lock(user_id=user.pk, key="key-1")
                holding.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=first_request_in_flight)
    holder.start()
    assert holding.wait(timeout=10)
    try:
        # when
        response = _post(user_client)
    finally:
        release.set()
        holder.join(timeout=10)
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert not Payout.objects.exists()
    # and the key is free once the first request's transaction has ended
    assert _post(user_client).status_code == 201


def test_keys_are_per_user(user, other_user, user_client, client_for):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    fund_wallet(other_user, available=Decimal("100.00"))
    # when
    first = _post(user_client)
    second = _post(client_for(other_user))
    # then
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_different_keys_make_different_payouts(user, user_client):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    # when
    _post(user_client, key="a")
    _post(user_client, key="b")
    # then
    assert Payout.objects.count() == 2


def test_a_refused_request_releases_its_key_so_it_can_be_retried(user, user_client):
    # given
    fund_wallet(user, available=Decimal("5.00"))
    refused = _post(user_client)
    fund_wallet(user, available=Decimal("15.00"))
    # when
    retried = _post(user_client)
    # then
    assert refused.status_code == 409
    assert retried.status_code == 201
    assert Payout.objects.count() == 1


def test_an_invalid_body_does_not_claim_the_key(user, user_client):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    # when
    response = _post(user_client, body={**BODY, "amount": "abc"})
    # then
    assert response.status_code == 422
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["x" * 256, "   "])
def test_an_invalid_key_is_422(user, user_client, key):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    # when
    response = _post(user_client, key=key)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == "Idempotency-Key"
    assert not Payout.objects.exists()


def test_a_key_of_255_characters_is_accepted(user, user_client):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    # when
    response = _post(user_client, key="k" * 255)
    # then
    assert response.status_code == 201


def test_an_expired_key_counts_as_new(user, user_client):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    _post(user_client)
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    # when
    response = _post(user_client, body={**BODY, "amount": "30.00"})
    # then
    assert response.status_code == 201
    assert Payout.objects.count() == 2


def test_purge_deletes_only_expired_keys(user):
    # given
    old = IdempotencyKey.objects.create(user=user, key="old", request_hash="h", payout=PayoutFactory(user=user))
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    IdempotencyKey.objects.create(user=user, key="fresh", request_hash="h", payout=PayoutFactory(user=user))
    # when
    deleted = idempotency_keys_purge()
    # then
    assert deleted == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


def test_purge_task_follows_the_ttl_setting(user, settings):
    # given
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 1
    key = IdempotencyKey.objects.create(user=user, key="k", request_hash="h", payout=PayoutFactory(user=user))
    IdempotencyKey.objects.filter(pk=key.pk).update(created_at=timezone.now() - dt.timedelta(hours=2))
    # when
    deleted = purge_idempotency_keys()
    # then
    assert deleted == 1
    assert not IdempotencyKey.objects.exists()


def test_purge_task_is_scheduled_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-idempotency-keys"]
    assert entry["task"] == purge_idempotency_keys.name


def test_request_hash_ignores_key_order_but_not_values():
    assert request_hash({"a": 1, "b": 2}) == request_hash({"b": 2, "a": 1})
    assert request_hash({"amount": "20.00", "details": CARD_DETAILS}) != request_hash(
        {"amount": "20.01", "details": CARD_DETAILS}
    )


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_the_payout_insert_and_its_commit_leaves_neither_payout_nor_key(user, monkeypatch):
    # given: the request dies after its payout row is written, before the commit
    from payouts import services

    fund_wallet(user, available=Decimal("100.00"))
    request = IdempotentRequest(key="crash-1", request_hash=request_hash(BODY))

    real_send_together = services.send_together

    def die(*writes):
        real_send_together(*writes)  # the payout, wallet, ledger, audit and key rows are written
        raise RuntimeError("the process died here")

    def ask():
        return payout_request(
            user=user, amount=Decimal("20.00"), method="bank_transfer", details=BANK_DETAILS, idempotency=request
        )

    with monkeypatch.context() as patch:
        patch.setattr(services, "send_together", die)
        with pytest.raises(RuntimeError):
            ask()
    assert not Payout.objects.exists()
    assert not IdempotencyKey.objects.exists()
    # when: the client repeats the request with the same key, twice
    first = ask()
    second = ask()
    # then: exactly one payout, and the key replays it
    assert Payout.objects.count() == 1
    assert (first.replayed, second.replayed) == (False, True)
    assert second.pk == first.pk
    assert IdempotencyKey.objects.get().payout_id == first.pk
    assert _available(user) == Decimal("80.00")


@pytest.mark.parametrize("key", [" key-1", "key-1 ", "key\t1", "key\u00071"])
def test_a_key_with_surrounding_whitespace_or_control_characters_is_422_and_claims_nothing(user, user_client, key):
    # given
    fund_wallet(user, available=Decimal("100.00"))
    # when
    response = _post(user_client, key=key)
    # then
    assert response.status_code == 422
    assert response.json()["error"]["details"]["violations"][0]["field"] == "Idempotency-Key"
    assert not Payout.objects.exists()
