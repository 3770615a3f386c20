import datetime as dt
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from demo import catalog as demo
from demo.management.commands.seed_demo import STEPS
from merchants.models import Merchant
from offers.models import CashbackType, Offer, OfferStatus
from offers.selectors import offer_active_for_merchant, offer_list_active

pytestmark = pytest.mark.django_db


def test_seed_creates_about_25_merchants_with_offers_valid_today():
    # when
    demo.seed()
    # then
    today = timezone.now().date()
    assert 20 <= Merchant.objects.count() <= 30
    assert offer_list_active(on_date=today).count() >= 18


def test_seed_includes_shoply_quickcart_and_banksimfail():
    # when
    demo.seed()
    # then
    today = timezone.now().date()
    shoply = offer_active_for_merchant(merchant_id=Merchant.objects.get(name="Shoply").pk, on_date=today)
    quickcart = offer_active_for_merchant(merchant_id=Merchant.objects.get(name="QuickCart").pk, on_date=today)
    banksimfail = Merchant.objects.get(name="BankSimFail")
    assert (shoply.cashback_type, shoply.cashback_value, shoply.monthly_cap) == (
        CashbackType.PERCENT,
        shoply.cashback_value.__class__("5.00"),
        shoply.monthly_cap.__class__("50.00"),
    )
    assert (quickcart.cashback_type, str(quickcart.cashback_value), str(quickcart.monthly_cap)) == (
        CashbackType.FIXED,
        "3.00",
        "20.00",
    )
    assert banksimfail.pk == uuid.UUID(settings.BANKSIMFAIL_MERCHANT_ID)
    assert offer_active_for_merchant(merchant_id=banksimfail.pk, on_date=today) is not None


def test_seed_has_inactive_merchants_and_expired_and_future_offers():
    # when
    demo.seed()
    # then
    today = timezone.now().date()
    assert Merchant.objects.filter(active=False).exists()
    assert Offer.objects.filter(end_date__lt=today).exists()
    assert Offer.objects.filter(start_date__gt=today).exists()
    assert Offer.objects.filter(status=OfferStatus.INACTIVE).exists()


def test_seed_dates_follow_the_run_day(monkeypatch):
    # given
    later = timezone.now() + dt.timedelta(days=400)
    monkeypatch.setattr(timezone, "now", lambda: later)
    # when
    demo.seed()
    # then
    assert offer_list_active(on_date=later.date()).count() >= 18


def test_seed_is_idempotent():
    # given
    demo.seed()
    counts = (Merchant.objects.count(), Offer.objects.count())
    # when
    summary = demo.seed()
    # then
    assert (Merchant.objects.count(), Offer.objects.count()) == counts
    assert summary.startswith("0 merchants")


def test_seed_demo_lists_merchants_after_users():
    # then
    assert STEPS.index("demo.users") < STEPS.index("demo.catalog")


def test_seed_writes_one_creation_audit_row_per_merchant_and_offer():
    # when
    demo.seed()
    # then
    from clicknback.audit.models import AuditLog

    assert AuditLog.objects.filter(action="merchant.created").count() == Merchant.objects.count()
    assert AuditLog.objects.filter(action="offer.created").count() == Offer.objects.count()
