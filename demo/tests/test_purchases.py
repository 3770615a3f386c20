import pytest
from django.core.management import call_command

from demo import purchases as demo
from purchases.models import Purchase
from wallets.models import Wallet
from wallets.reconcile import wallet_reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_catalog():
    from demo import catalog as merchants_demo
    from demo import users as users_demo

    users_demo.seed()
    merchants_demo.seed()


def test_seed_skips_without_users_or_merchants():
    assert demo.seed().startswith("skipped")
    assert not Purchase.objects.exists()


def test_seed_creates_purchases_in_every_state_with_matching_wallets(demo_catalog):
    # when
    summary = demo.seed()
    # then
    assert summary.startswith(f"{len(demo.PLAN)} purchases created")
    assert set(Purchase.objects.values_list("status", flat=True)) == {"pending", "confirmed", "rejected", "reversed"}
    assert Wallet.objects.get(user__email="alice@clicknback.com").available_balance >= 40
    assert wallet_reconcile() == []


def test_seed_is_idempotent(demo_catalog):
    # given
    demo.seed()
    before = list(Wallet.objects.order_by("pk").values())
    # when
    summary = demo.seed()
    # then
    assert summary.startswith("0 purchases created")
    assert list(Wallet.objects.order_by("pk").values()) == before
    assert Purchase.objects.count() == len(demo.PLAN)


def test_reconcile_wallets_passes_right_after_seed_demo():
    # given
    call_command("seed_demo")
    # when / then: exits 0 (raises SystemExit otherwise)
    call_command("reconcile_wallets")
    assert Purchase.objects.count() == len(demo.PLAN)
