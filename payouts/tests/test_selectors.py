"""``payout_month_used`` (plain SQL) answers what the ORM's sum answers."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from payouts.models import Payout, PayoutStatus
from payouts.selectors import payout_month_used
from payouts.tests.factories import PayoutFactory

pytestmark = pytest.mark.django_db


def test_month_used_counts_every_payout_not_failed_since_the_month_start(user, other_user):
    # given: payouts in every status, another user's, and one of last month
    month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for status, amount in [
        (PayoutStatus.REQUESTED, "10.00"),
        (PayoutStatus.PROCESSING, "11.00"),
        (PayoutStatus.COMPLETED, "12.00"),
        (PayoutStatus.FAILED, "40.00"),
    ]:
        PayoutFactory(user=user, status=status, amount=Decimal(amount))
    PayoutFactory(user=other_user, amount=Decimal("50.00"))
    old = PayoutFactory(user=user, amount=Decimal("60.00"))
    Payout.objects.filter(pk=old.pk).update(requested_at=month_start - dt.timedelta(seconds=1))
    # when
    used = payout_month_used(user_id=user.pk, since=month_start)
    # then
    expected = (
        Payout.objects.filter(user=user, requested_at__gte=month_start)
        .exclude(status=PayoutStatus.FAILED)
        .aggregate(total=Sum("amount"))["total"]
    )
    assert used == expected == Decimal("33.00")


def test_month_used_is_zero_without_payouts(user):
    # when
    used = payout_month_used(user_id=user.pk, since=timezone.now().replace(day=1))
    # then
    assert str(used) == "0.00"
