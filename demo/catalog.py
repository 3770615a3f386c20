"""Demo merchants and offers (API contract §12), written through the services.

Dates are relative to the day the seed runs, so the demo never goes stale. Matching is by
merchant name, so a second run creates nothing. A merchant has at most one active offer,
so expired and future offers are either the inactive offers of a merchant or the one
active offer of a merchant whose offer is not valid today.
"""

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clicknback.audit.services import SYSTEM, audit_record
from merchants.models import Merchant
from merchants.services import merchant_create, merchant_set_active
from offers.models import CashbackType, Offer, OfferStatus

P, F = CashbackType.PERCENT, CashbackType.FIXED

# name, default %, (type, value, cap) of the active offer valid around today
ACTIVE = [
    ("Shoply", "5.00", (P, "5.00", "50.00")),
    ("QuickCart", "3.00", (F, "3.00", "20.00")),
    ("BankSimFail", "4.00", (P, "4.00", "40.00")),
    ("Nordic Outfitters", "6.00", (P, "6.00", "60.00")),
    ("Pixel Electronics", "2.50", (P, "2.50", "75.00")),
    ("GreenGrocer", "4.00", (P, "4.00", "30.00")),
    ("BookNook", "8.00", (P, "8.00", "25.00")),
    ("TravelTrek", "3.00", (P, "3.00", "120.00")),
    ("HomeHaven", "5.50", (P, "5.50", "80.00")),
    ("FitFuel", "7.00", (P, "7.00", "35.00")),
    ("PetPalace", "4.50", (P, "4.50", "40.00")),
    ("StreamBox", "2.00", (F, "2.00", "10.00")),
    ("CityRide", "1.50", (F, "1.50", "15.00")),
    ("Gadget Garage", "3.50", (P, "3.50", "50.00")),
    ("Beauty Bar", "9.00", (P, "9.00", "45.00")),
    ("Kids Kingdom", "6.50", (P, "6.50", "50.00")),
    ("Wine Cellar", "10.00", (P, "10.00", "60.00")),
    ("Sports Arena", "5.00", (P, "5.00", "70.00")),
    ("Office Hub", "4.00", (F, "5.00", "25.00")),
    ("Garden Grove", "6.00", (P, "6.00", "40.00")),
    ("Coffee Corner", "4.00", (F, "0.50", "10.00")),
]
# Merchants whose only (active) offer is not valid today.
FUTURE = [("Launchpad Store", "5.00", (P, "5.00", "50.00"))]
EXPIRED = [("Summer Sale Co", "12.00", (P, "12.00", "30.00"))]
# Deactivated merchants (their offer stays active but is not listed nor usable).
INACTIVE = [("Closed Corner", "5.00", (P, "5.00", "50.00")), ("Retired Retail", "3.00", (F, "2.00", "20.00"))]


def _create_merchant(name: str, percentage: str, merchant_id: str | None = None) -> Merchant:
    if merchant_id is None:
        return merchant_create(name=name, default_cashback_percentage=Decimal(percentage), actor=SYSTEM)
    # BankSimFail needs a fixed id (settings.BANKSIMFAIL_MERCHANT_ID): create the row with
    # that id, audited like merchant_create.
    with transaction.atomic():
        merchant = Merchant.objects.create(
            id=uuid.UUID(merchant_id), name=name, default_cashback_percentage=Decimal(percentage), active=True
        )
        audit_record(
            actor=SYSTEM,
            action="merchant.created",
            resource_type="merchant",
            resource_id=merchant.pk,
            details={"name": name, "default_cashback_percentage": percentage, "active": True, "seed": True},
        )
    return merchant


def _insert_offer(merchant: Merchant, terms, start: dt.date, end: dt.date, status: str) -> Offer:
    """Seed-only insert: past-dated offers cannot go through ``offer_create`` (its rule
    refuses a start_date before today), so the seed writes the row and its audit entry."""
    cashback_type, value, cap = terms
    with transaction.atomic():
        offer = Offer.objects.create(
            merchant=merchant,
            cashback_type=cashback_type,
            cashback_value=Decimal(value),
            monthly_cap=Decimal(cap),
            start_date=start,
            end_date=end,
            status=status,
        )
        audit_record(
            actor=SYSTEM,
            action="offer.created",
            resource_type="offer",
            resource_id=offer.pk,
            details={"merchant_id": str(merchant.pk), "status": status, "seed": True},
        )
    return offer


def seed() -> str:
    today = timezone.now().date()
    days = dt.timedelta
    created_merchants = created_offers = 0
    plan = (
        [(row, today - days(60), today + days(120), True) for row in ACTIVE]
        + [(row, today + days(10), today + days(70), True) for row in FUTURE]
        + [(row, today - days(90), today - days(10), True) for row in EXPIRED]
        + [(row, today - days(30), today + days(60), False) for row in INACTIVE]
    )
    for (name, percentage, terms), start, end, merchant_active in plan:
        if Merchant.objects.filter(name__iexact=name).exists():
            continue
        merchant_id = settings.BANKSIMFAIL_MERCHANT_ID if name == "BankSimFail" else None
        merchant = _create_merchant(name, percentage, merchant_id)
        created_merchants += 1
        _insert_offer(merchant, terms, start, end, OfferStatus.ACTIVE)
        created_offers += 1
        if name == "Shoply":
            # History: an expired, deactivated offer and a planned (inactive) future one.
            _insert_offer(merchant, (P, "3.00", "30.00"), today - days(200), today - days(61), OfferStatus.INACTIVE)
            _insert_offer(merchant, (P, "7.00", "70.00"), today + days(121), today + days(180), OfferStatus.INACTIVE)
            created_offers += 2
        if not merchant_active:
            merchant_set_active(merchant_id=merchant.pk, active=False, actor=SYSTEM)
    total = Merchant.objects.count()
    return f"{created_merchants} merchants and {created_offers} offers created ({total} merchants in total)"
