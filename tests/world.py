"""A small, realistic world for the attack suites, built through the real services.

Two users (``alice`` owns everything, ``mallory`` owns nothing of hers), one admin, a
merchant with an active offer, purchases in every state, and payouts, so that fuzzing
and the authorization matrix hit real rows and not only 404s.
"""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal


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
    partner: object = None
    partner_key: str = ""
    partner_purchases: dict = field(default_factory=dict)

    def ids(self) -> dict[str, list[str]]:
        """Known ids per path-parameter name, for fuzzing."""
        return {
            "purchase_id": [str(p.pk) for p in self.purchases.values()],
            "payout_id": [str(p.pk) for p in self.payouts.values()],
            "merchant_id": [str(self.merchant.pk), str(self.inactive_offer.merchant_id)],
            "offer_id": [str(self.offer.pk), str(self.inactive_offer.pk)],
            "user_id": [str(self.alice.pk), str(self.mallory.pk)],
            "partner_id": [str(self.partner.pk)] if self.partner else [],
            "external_id": [p.external_id for p in self.partner_purchases.values()],
        }


def build_world(tag: str | None = None) -> World:
    from offers.models import OfferStatus
    from offers.tests.factories import OfferFactory
    from payouts.tests.factories import CARD_DETAILS, process_payout, request_payout
    from purchases.tests.factories import purchase
    from users.tests.factories import AdminFactory, UserFactory

    tag = tag or uuid.uuid4().hex[:8]
    alice = UserFactory(email=f"alice-{tag}@example.com")
    mallory = UserFactory(email=f"mallory-{tag}@example.com")
    admin = AdminFactory(email=f"admin-{tag}@example.com")
    offer = OfferFactory(monthly_cap=Decimal("500.00"), cashback_value=Decimal("10.00"))
    inactive_offer = OfferFactory(status=OfferStatus.INACTIVE)

    def bought(name: str, amount: str, status: str = "pending"):
        external_id = f"world-{tag}-{name}"
        return purchase(alice, status=status, admin=admin, offer=offer, amount=Decimal(amount), external_id=external_id)

    world = World(alice=alice, mallory=mallory, admin=admin, merchant=offer.merchant, offer=offer,
                  inactive_offer=inactive_offer)  # fmt: skip
    world.purchases["pending"] = bought("pending", "40.00")
    world.purchases["confirmed"] = bought("confirmed", "900.00", "confirmed")
    world.purchases["rejected"] = bought("rejected", "30.00", "rejected")
    world.purchases["reversed"] = bought("reversed", "20.00", "reversed")
    world.payouts["requested"] = request_payout(alice, amount=Decimal("10.00"))
    done = request_payout(alice, amount=Decimal("12.00"), method="card", details=CARD_DETAILS)
    world.payouts["completed"] = process_payout(done, status="completed", admin=admin, reference="")
    # a partner linked to the merchant, with a key, and purchases of its own in each state
    from clicknback.audit.services import Actor
    from partners.services import api_key_create, partner_create
    from purchases.ingestion import PurchaseReport, Reporter, purchases_ingest
    from purchases.reversal import purchase_return
    from purchases.services import purchase_confirm, purchase_reject

    world.partner = partner_create(name=f"partner-{tag}", merchant_ids=[offer.merchant_id], actor=Actor.admin(admin))
    _, world.partner_key = api_key_create(partner_id=world.partner.pk, name="world", actor=Actor.admin(admin))
    partner_actor = Actor("partner", world.partner.pk)
    reporter = Reporter(actor=partner_actor, partner_id=world.partner.pk, merchant_ids=frozenset({offer.merchant_id}))
    for state in ("pending", "confirmed", "rejected", "returned"):
        report = PurchaseReport(external_id=f"world-{tag}-p-{state}", user_id=alice.pk, merchant_id=offer.merchant_id,
                                amount=Decimal("50.00"), currency="EUR")  # fmt: skip
        (result,) = purchases_ingest(reports=[report], reporter=reporter)
        bought_by_partner = result.purchase
        if state == "confirmed":
            purchase_confirm(purchase_id=bought_by_partner.pk, actor=partner_actor)
        elif state == "rejected":
            purchase_reject(purchase_id=bought_by_partner.pk, reason="declined", actor=partner_actor)
        elif state == "returned":
            purchase_return(purchase_id=bought_by_partner.pk, return_id="r1", amount=Decimal("10.00"),
                            reason="returned", actor=partner_actor)  # fmt: skip
        world.partner_purchases[state] = bought_by_partner
    return world
