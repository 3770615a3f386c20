"""Demo purchases (API contract §12): every state for alice, bob and dave.

Everything goes through the purchase services, so every wallet matches its ledger and
``reconcile_wallets`` passes right after seeding. Idempotent: purchases have fixed
external ids; a rerun only finishes a transition a previous run did not reach.
"""

from decimal import Decimal

from clicknback.audit.services import SYSTEM, Actor
from clicknback.errors import DomainError
from merchants.models import Merchant
from purchases.models import Purchase, PurchaseStatus
from purchases.services import purchase_confirm, purchase_ingest, purchase_reject, purchase_reverse
from users.models import User

ADMIN_EMAIL = "carol@clicknback.com"
REJECTION_REASON = "The bank found no matching transaction (demo)."
# Targets: pending, confirmed, rejected, reversed (while pending), clawback (confirmed, then reversed).
PLAN = [
    ("alice@clicknback.com", "demo-alice-001", "Shoply", "400.00", "confirmed"),
    ("alice@clicknback.com", "demo-alice-002", "Shoply", "300.00", "confirmed"),
    ("alice@clicknback.com", "demo-alice-003", "Nordic Outfitters", "100.00", "confirmed"),
    ("alice@clicknback.com", "demo-alice-004", "QuickCart", "25.00", "confirmed"),
    ("alice@clicknback.com", "demo-alice-005", "Shoply", "100.00", "pending"),
    ("alice@clicknback.com", "demo-alice-006", "BankSimFail", "50.00", "rejected"),
    ("alice@clicknback.com", "demo-alice-007", "QuickCart", "40.00", "clawback"),
    ("bob@clicknback.com", "demo-bob-001", "Shoply", "200.00", "confirmed"),
    ("bob@clicknback.com", "demo-bob-002", "QuickCart", "15.00", "pending"),
    ("bob@clicknback.com", "demo-bob-003", "Shoply", "60.00", "reversed"),
    ("bob@clicknback.com", "demo-bob-004", "BankSimFail", "80.00", "rejected"),
    ("dave@clicknback.com", "demo-dave-001", "Shoply", "120.00", "pending"),
    ("dave@clicknback.com", "demo-dave-002", "BookNook", "150.00", "confirmed"),
    ("dave@clicknback.com", "demo-dave-003", "BankSimFail", "30.00", "rejected"),
    ("dave@clicknback.com", "demo-dave-004", "Pixel Electronics", "200.00", "clawback"),
]


def _advance(purchase: Purchase, target: str, admin: Actor) -> None:
    """Move a purchase toward its target state; states already reached are left alone."""
    if purchase.status == PurchaseStatus.PENDING:
        if target in {"confirmed", "clawback"}:
            purchase = purchase_confirm(purchase_id=purchase.pk, actor=admin)
        elif target == "rejected":
            purchase_reject(purchase_id=purchase.pk, reason=REJECTION_REASON, actor=SYSTEM)
        elif target == "reversed":
            purchase_reverse(purchase_id=purchase.pk, actor=admin, reason="Order cancelled (demo).")
    if target == "clawback" and purchase.status == PurchaseStatus.CONFIRMED:
        purchase_reverse(purchase_id=purchase.pk, actor=admin, reason="Goods returned (demo).")


def seed() -> str:
    users = {user.email: user for user in User.objects.filter(email__in={row[0] for row in PLAN})}
    merchants = {m.name: m for m in Merchant.objects.filter(name__in={row[2] for row in PLAN})}
    if not users or not merchants:
        return "skipped: the demo users or merchants are missing"
    admin_user = User.objects.filter(email=ADMIN_EMAIL).first()
    admin = Actor.admin(admin_user) if admin_user else SYSTEM
    created = skipped = 0
    for email, external_id, merchant_name, amount, target in PLAN:
        user, merchant = users.get(email), merchants.get(merchant_name)
        if user is None or merchant is None:
            skipped += 1
            continue
        try:
            purchase = Purchase.objects.filter(external_id=external_id).first()
            if purchase is None:
                purchase = purchase_ingest(
                    caller=user,
                    external_id=external_id,
                    user_id=user.pk,
                    merchant_id=merchant.pk,
                    amount=Decimal(amount),
                    currency="EUR",
                )
                created += 1
            _advance(purchase, target, admin)
        except DomainError:
            skipped += 1  # e.g. the merchant's offer is not valid today
    return f"{created} purchases created, {len(PLAN) - created - skipped} already there, {skipped} skipped"
