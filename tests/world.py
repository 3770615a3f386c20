"""A small, realistic world for the attack suites, built through the real services.

Two users (``alice`` owns everything, ``mallory`` owns nothing of hers), one admin, a
merchant with an active offer, purchases in every state, and payouts, so that fuzzing
and the authorization matrix hit real rows and not only 404s.
"""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

VALID_IBAN = "DE89370400440532013000"


@dataclass
class World:
    alice: object
    mallory: object
    admin: object
    merchant: object
    offer: object
    inactive_offer: object
    purchases: dict = field(default_factory=dict)
    payouts: dict = field(default_factory=dict)

    def ids(self) -> dict[str, list[str]]:
        """Known ids per path-parameter name, for fuzzing."""
        return {
            "purchase_id": [str(p.pk) for p in self.purchases.values()],
            "payout_id": [str(p.pk) for p in self.payouts.values()],
            "merchant_id": [str(self.merchant.pk), str(self.inactive_offer.merchant_id)],
            "offer_id": [str(self.offer.pk), str(self.inactive_offer.pk)],
            "user_id": [str(self.alice.pk), str(self.mallory.pk)],
        }


def build_world(tag: str | None = None) -> World:
    from clicknback.audit.services import Actor
    from offers.models import OfferStatus
    from offers.tests.factories import OfferFactory
    from payouts.services import payout_process, payout_request
    from purchases.services import purchase_confirm, purchase_ingest, purchase_reject, purchase_reverse
    from users.tests.factories import AdminFactory, UserFactory

    tag = tag or uuid.uuid4().hex[:8]
    alice = UserFactory(email=f"alice-{tag}@example.com")
    mallory = UserFactory(email=f"mallory-{tag}@example.com")
    admin = AdminFactory(email=f"admin-{tag}@example.com")
    offer = OfferFactory(monthly_cap=Decimal("500.00"), cashback_value=Decimal("10.00"))
    inactive_offer = OfferFactory(status=OfferStatus.INACTIVE)
    as_admin = Actor.admin(admin)

    def ingest(name: str, amount: str):
        return purchase_ingest(
            caller=alice,
            external_id=f"world-{tag}-{name}",
            user_id=alice.pk,
            merchant_id=offer.merchant_id,
            amount=Decimal(amount),
            currency="EUR",
        )

    world = World(alice=alice, mallory=mallory, admin=admin, merchant=offer.merchant, offer=offer,
                  inactive_offer=inactive_offer)  # fmt: skip
    world.purchases["pending"] = ingest("pending", "40.00")
    world.purchases["confirmed"] = purchase_confirm(purchase_id=ingest("confirmed", "900.00").pk, actor=as_admin)
    world.purchases["rejected"] = purchase_reject(purchase_id=ingest("rejected", "30.00").pk, reason="test",
                                                  actor=as_admin)  # fmt: skip
    world.purchases["reversed"] = purchase_reverse(purchase_id=ingest("reversed", "20.00").pk, actor=as_admin)
    details = {"iban": VALID_IBAN, "account_holder": "Alice Example"}
    world.payouts["requested"] = payout_request(user=alice, amount=Decimal("10.00"), method="bank_transfer",
                                                details=details)  # fmt: skip
    done = payout_request(user=alice, amount=Decimal("12.00"), method="card", details={"card_token": "tok_4242"})
    world.payouts["completed"] = payout_process(payout_id=done.pk, status="completed", actor=as_admin)
    return world
