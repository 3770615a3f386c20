"""Demo payouts (contract §12): a few in each status for the demo users.

Made through ``payout_request`` / ``payout_process`` so wallets keep matching their
ledgers, and only where the user's available balance allows. Idempotent: a user who
already has payouts is left alone.
"""

from clicknback.audit.services import SYSTEM, Actor
from clicknback.errors import DomainError
from payouts.models import Payout, PayoutStatus
from payouts.policy import payout_min_amount
from payouts.services import payout_process, payout_request
from users.models import User

ADMIN_EMAIL = "carol@clicknback.com"
# (email, method, details) — public example IBANs with valid checksums.
DEMO_DESTINATIONS = [
    ("alice@clicknback.com", "bank_transfer", {"iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Alice"}),
    ("bob@clicknback.com", "bank_transfer", {"iban": "GB82 WEST 1234 5698 7654 32", "account_holder": "Bob"}),
    ("dave@clicknback.com", "card", {"card_token": "tok_demo_dave_4242"}),
]
# Failed first: its refund makes the money available again for the next ones.
PLAN = [
    (PayoutStatus.FAILED, {"failure_reason": "Beneficiary account closed (demo)"}),
    (PayoutStatus.COMPLETED, {"external_reference": "DEMO-SEPA-{n}"}),
    (PayoutStatus.PROCESSING, {}),
    (PayoutStatus.REQUESTED, {}),
]


def _seed_user(user: User, method: str, details: dict, actor: Actor) -> int:
    amount = payout_min_amount()
    made = 0
    for status, extra in PLAN:
        try:
            payout = payout_request(user=user, amount=amount, method=method, details=details)
        except DomainError:
            break  # not enough available balance (or monthly limit): stop here
        made += 1
        if status != PayoutStatus.REQUESTED:
            fields = {key: value.format(n=str(payout.pk)[:8].upper()) for key, value in extra.items()}
            payout_process(payout_id=payout.pk, status=status, actor=actor, **fields)
    return made


def seed() -> str:
    users = {user.email: user for user in User.objects.filter(email__in=[e for e, _, _ in DEMO_DESTINATIONS])}
    if not users:
        return "skipped: the demo users are missing"
    admin = User.objects.filter(email=ADMIN_EMAIL).first()
    actor = Actor.admin(admin) if admin else SYSTEM
    created, kept, skipped = 0, 0, 0
    for email, method, details in DEMO_DESTINATIONS:
        user = users.get(email)
        if user is None:
            continue
        if Payout.objects.filter(user=user).exists():
            kept += 1
            continue
        made = _seed_user(user, method, details, actor)
        created += made
        skipped += made == 0
    return f"{created} payouts created; {kept} users already had payouts; {skipped} without enough balance"
