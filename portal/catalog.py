"""The offers a signed-in user can earn: the list (searchable) and one merchant's page.

Each offer shows its rate or fixed amount, its dates, and what is left of this user's
monthly cap this UTC month, computed by the same cap sum the ingestion uses
(``purchases.selectors.cashback_earned_in_months``), one statement for the whole page.
"""

import datetime as dt
import uuid

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clicknback.money import ZERO, euro
from merchants.models import Merchant
from offers.models import CashbackType, Offer
from offers.selectors import offers_valid_on, offers_visible
from purchases.selectors import cap_key, cashback_earned_in_months

PAGE_SIZE = 20
SEARCH_MAX = 100


def _rows(user_id: uuid.UUID, offers: list[Offer], now: dt.datetime) -> list[dict]:
    keys = {offer.pk: cap_key(user_id=user_id, offer_id=offer.pk, moment=now) for offer in offers}
    earned = cashback_earned_in_months(keys=list(keys.values()))
    today = now.astimezone(dt.UTC).date()
    rows = []
    for offer in offers:
        left = max(ZERO, offer.monthly_cap - earned[keys[offer.pk]])
        rows.append(
            {
                "id": offer.pk,
                "merchant": offer.merchant.name,
                "merchant_id": offer.merchant_id,
                "earns": (
                    f"{offer.cashback_value:.2f} % cashback"
                    if offer.cashback_type == CashbackType.PERCENT
                    else f"{euro(offer.cashback_value)} per purchase"
                ),
                "monthly_cap": euro(offer.monthly_cap),
                "max_per_purchase": euro(offer.max_cashback_per_purchase) if offer.max_cashback_per_purchase else None,
                "cap_left": euro(left),
                "cap_used_up": left == ZERO,
                "start_date": offer.start_date,
                "end_date": offer.end_date,
                "current": offer.start_date <= today <= offer.end_date,
            }
        )
    return rows


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def offer_list(request):
    now = timezone.now()
    query = (request.GET.get("q") or "").strip()[:SEARCH_MAX].replace("\x00", "")
    offers = offers_valid_on(day=now.astimezone(dt.UTC).date()).order_by("merchant__name", "id")
    if query:
        offers = offers.filter(merchant__name__icontains=query)
    page = Paginator(offers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "offers", "page": page, "rows": _rows(request.user.pk, list(page.object_list), now), "q": query}
    return render(request, "portal/offers.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def merchant_detail(request, merchant_id: uuid.UUID):
    merchant = Merchant.objects.filter(pk=merchant_id, active=True).first()
    if merchant is None:
        raise Http404("No such merchant.")
    now = timezone.now()
    today = now.astimezone(dt.UTC).date()
    offers = list(offers_visible().filter(merchant=merchant, end_date__gte=today).order_by("start_date", "id"))
    context = {"nav": "offers", "merchant": merchant, "rows": _rows(request.user.pk, offers, now)}
    return render(request, "portal/merchant.html", context)
