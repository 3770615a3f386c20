"""A Hypothesis state machine over the money services, checked against a model.

Rules drive the real services in random interleavings: ingest (and replay the same
``external_id``, by the owner and by someone else), a partner's batches (with repeats
inside the batch and replays of stored ids), a partner's approvals, declines and full or
partial returns, confirm, reject, reverse (pending and confirmed, so clawbacks create
``owed``), request a payout, process it to
processing / completed / failed, flip the ``purchase_auto_confirm`` and
``purchase_confirmation_job`` flags at every scope, let time pass, and run the
confirmation job — including a worker that dies after claiming and a task that is
delivered twice.

A plain-Python model predicts every outcome (which call succeeds, which domain error
it raises, the exact cashback after rounding and the monthly cap, which purchases the
job may claim) and every balance. After every step the invariants are checked against
the database:

* no balance is negative;
* each wallet equals the sum of its ledger entries, and equals the model, to the cent;
* each purchase is resolved at most once (one confirmation or rejection, one reversal:
  counted in the audit log and the ledger), and its status is the model's;
* each transition recorded exactly one event (the outbox, contract §14), and no event
  exists without its transition;
* conservation: everything ever credited as cashback is pending, available, paid, in a
  payout in flight, or reversed, minus what is still owed —
  ``credited = pending + available + paid + in_flight + reversed − owed``.

Deterministic in CI (``derandomize``); ``SM_EXAMPLES`` and ``SM_STEPS`` make it larger
(``make test-deep``).
"""

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from clicknback.money import ZERO, quantize
from tests.conftest import record
from tests.support.ibans import VALID_IBAN

EXAMPLES = int(os.environ.get("SM_EXAMPLES", "20"))
STEPS = int(os.environ.get("SM_STEPS", "35"))
MAX_ATTEMPTS = 2
CLAIM_SECONDS = 120
INTERVAL_SECONDS = 60
PAYOUT_MIN = Decimal("5.00")
PAYOUT_LIMIT = Decimal("60.00")

# Hypothesis favours small, simple decimals; typical basket sizes (and the contract's
# rounding examples) are mixed in so cashback often reaches the payout minimum.
amounts = st.one_of(
    st.sampled_from(["10.50", "49.50", "2.50", "33.33", "200.00", "399.99", "1000.00"]).map(Decimal),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1500.00"), places=2),
)
payout_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("80.00"), places=2)

STATS = {"examples": 0, "steps": 0, "calls": {}}


@dataclass
class ModelPurchase:
    id: uuid.UUID
    external_id: str
    user: int
    offer: int
    amount: Decimal
    cashback: Decimal
    status: str = "pending"
    returned: Decimal = ZERO  # of the purchase amount, by partial returns
    taken: Decimal = ZERO  # of the cashback, by partial returns
    partner: bool = False
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    claimed_until: dt.datetime | None = None
    token: uuid.UUID | None = None


@dataclass
class ModelPayout:
    id: uuid.UUID
    user: int
    amount: Decimal
    status: str = "requested"


@dataclass
class ModelWallet:
    pending: Decimal = ZERO
    available: Decimal = ZERO
    paid: Decimal = ZERO
    owed: Decimal = ZERO


@dataclass
class Flags:
    job: bool | None = None
    auto_global: bool | None = None
    auto_users: dict = field(default_factory=dict)
    auto_merchants: dict = field(default_factory=dict)

    def job_on(self) -> bool:
        return True if self.job is None else self.job

    def allows(self, user_id, merchant_id) -> bool:
        default = True if self.auto_global is None else self.auto_global
        return self.auto_users.get(user_id, default) and self.auto_merchants.get(merchant_id, default)


def _count(name: str) -> None:
    STATS["calls"][name] = STATS["calls"].get(name, 0) + 1


class MoneyMachine(RuleBasedStateMachine):
    purchases = Bundle("purchases")
    payouts = Bundle("payouts")

    def __init__(self):
        super().__init__()
        from clicknback.audit.services import Actor
        from clicknback.flags.models import FeatureFlag
        from offers.models import CashbackType
        from offers.tests.factories import OfferFactory
        from users.tests.factories import AdminFactory, UserFactory

        STATS["examples"] += 1
        FeatureFlag.objects.all().delete()  # every example starts from the defaults
        self.admin = AdminFactory()
        self.actor = Actor.admin(self.admin)
        self.users = [UserFactory(), UserFactory()]
        self.offers = [
            OfferFactory(cashback_value=Decimal("5.00"), monthly_cap=Decimal("50.00")),
            OfferFactory(
                cashback_type=CashbackType.FIXED, cashback_value=Decimal("3.00"), monthly_cap=Decimal("20.00")
            ),
            OfferFactory(cashback_value=Decimal("2.50"), monthly_cap=Decimal("500.00")),  # the bank never matches
        ]
        self.bad_merchant_id = self.offers[2].merchant_id
        from partners.services import partner_create
        from purchases.ingestion import Reporter

        partner = partner_create(
            name=f"sm-partner-{uuid.uuid4().hex[:8]}",
            merchant_ids=[offer.merchant_id for offer in self.offers],
            actor=self.actor,
        )
        self.partner_actor = Actor("partner", partner.pk)
        self.reporter = Reporter(
            actor=self.partner_actor,
            partner_id=partner.pk,
            merchant_ids=frozenset(offer.merchant_id for offer in self.offers),
        )
        self._settings = override_settings(
            REJECTION_MERCHANT_IDS=[str(self.bad_merchant_id)],
            PURCHASE_MAX_VERIFICATION_ATTEMPTS=MAX_ATTEMPTS,
            PURCHASE_CLAIM_SECONDS=CLAIM_SECONDS,
            PURCHASE_CONFIRMATION_INTERVAL_SECONDS=INTERVAL_SECONDS,
            PAYOUT_MIN_AMOUNT=str(PAYOUT_MIN),
            PAYOUT_MONTHLY_LIMIT=str(PAYOUT_LIMIT),
        )
        self._settings.enable()
        from django.utils import timezone

        self.clock = timezone.now() + dt.timedelta(seconds=1)
        self.model_purchases: dict[uuid.UUID, ModelPurchase] = {}
        self.model_payouts: dict[uuid.UUID, ModelPayout] = {}
        self.wallets = [ModelWallet(), ModelWallet()]
        self.flags = Flags()
        self.sequence = 0

    def teardown(self):
        self._settings.disable()

    # --- helpers --------------------------------------------------------------

    def _expect_error(self, error_class, call):
        try:
            call()
        except error_class as exc:
            return exc
        raise AssertionError(f"expected {error_class.__name__}")

    def _cashback_for(self, offer_index: int, user_index: int, amount: Decimal) -> Decimal:
        offer = self.offers[offer_index]
        if offer.cashback_type == "fixed":
            raw = quantize(offer.cashback_value)
        else:
            raw = quantize(amount * offer.cashback_value / Decimal(100))
        raw = min(raw, amount)  # never more than the purchase amount (contract §6)
        earned = sum(
            (
                p.cashback - p.taken
                for p in self.model_purchases.values()
                if p.user == user_index and p.offer == offer_index and p.status in ("pending", "confirmed")
            ),
            ZERO,
        )
        return quantize(max(ZERO, min(raw, offer.monthly_cap - earned)))

    def _apply_confirm(self, purchase: ModelPurchase) -> None:
        wallet = self.wallets[purchase.user]
        worth = purchase.cashback - purchase.taken
        settled = min(wallet.owed, worth)
        if settled > ZERO:
            _count("(confirm settling owed)")
        wallet.pending -= worth
        wallet.owed -= settled
        wallet.available += worth - settled
        purchase.status = "confirmed"
        purchase.claimed_until = purchase.token = purchase.next_attempt_at = None

    def _take_back(self, purchase: ModelPurchase, amount: Decimal) -> None:
        wallet = self.wallets[purchase.user]
        if purchase.status == "pending":
            wallet.pending -= amount
            return
        taken = min(wallet.available, amount)
        if taken < amount:
            _count("(take-back creating owed)")
        wallet.available -= taken
        wallet.owed += amount - taken

    def _apply_reject(self, purchase: ModelPurchase) -> None:
        self.wallets[purchase.user].pending -= purchase.cashback - purchase.taken
        purchase.status = "rejected"
        purchase.claimed_until = purchase.token = purchase.next_attempt_at = None

    # --- purchases ------------------------------------------------------------

    @rule(target=purchases, user=st.integers(0, 1), offer=st.integers(0, 2), amount=amounts)
    def ingest(self, user, offer, amount):
        from purchases.services import purchase_ingest

        _count("ingest")
        self.sequence += 1
        external_id = f"sm-{uuid.uuid4().hex}"
        expected = self._cashback_for(offer, user, amount)
        purchase = purchase_ingest(
            caller=self.users[user],
            external_id=external_id,
            user_id=self.users[user].pk,
            merchant_id=self.offers[offer].merchant_id,
            amount=amount,
            currency="eur",
        )
        assert purchase.status == "pending"
        assert purchase.cashback.amount == expected, (purchase.cashback.amount, expected)
        self.model_purchases[purchase.pk] = ModelPurchase(
            id=purchase.pk,
            external_id=external_id,
            user=user,
            offer=offer,
            amount=amount,
            cashback=expected,
            next_attempt_at=purchase.next_attempt_at,
        )
        self.wallets[user].pending += expected
        return purchase.pk

    @initialize(target=purchases, user=st.integers(0, 1), offer=st.integers(0, 2), amount=amounts)
    def first_purchase(self, user, offer, amount):
        return self.ingest(user, offer, amount)

    @initialize(target=purchases, offer=st.integers(0, 2), amount=amounts)
    def second_purchase(self, offer, amount):
        return self.ingest(1, offer, amount)

    @initialize(target=purchases, user=st.integers(0, 1), amount=st.sampled_from(["400.00", "1000.00"]))
    def confirmed_cashback_to_spend(self, user, amount):
        """Runs start with money available, so payouts and clawbacks are reached early."""
        purchase = self.ingest(user, 0, Decimal(amount))
        self.confirm_by_admin(purchase)
        return purchase

    @rule(purchase=purchases, by_owner=st.booleans(), amount=amounts)
    def replay_ingestion(self, purchase, by_owner, amount):
        from purchases.errors import DuplicatePurchase
        from purchases.services import purchase_ingest

        _count("replay")
        model = self.model_purchases[purchase]
        caller = self.users[model.user if by_owner else 1 - model.user]
        exc = self._expect_error(
            DuplicatePurchase,
            lambda: purchase_ingest(
                caller=caller,
                external_id=model.external_id,
                user_id=caller.pk,
                merchant_id=self.offers[model.offer].merchant_id,
                amount=amount,
                currency="EUR",
            ),
        )
        assert exc.details["previously_processed_amount"] == f"{model.amount:.2f}"
        assert ("purchase_id" in exc.details) == by_owner

    @rule(purchase=purchases)
    def confirm_by_admin(self, purchase):
        from purchases.errors import PurchaseNotPending
        from purchases.services import purchase_confirm

        _count("confirm")
        model = self.model_purchases[purchase]
        if model.status != "pending":
            exc = self._expect_error(
                PurchaseNotPending, lambda: purchase_confirm(purchase_id=purchase, actor=self.actor)
            )
            assert exc.details["current_status"] == model.status
            return
        purchase_confirm(purchase_id=purchase, actor=self.actor)
        _count("(confirmed by admin)")
        self._apply_confirm(model)

    @rule(purchase=purchases)
    def reject(self, purchase):
        from purchases.errors import PurchaseNotPending
        from purchases.services import purchase_reject

        _count("reject")
        model = self.model_purchases[purchase]
        if model.status != "pending":
            self._expect_error(
                PurchaseNotPending, lambda: purchase_reject(purchase_id=purchase, reason="no match", actor=self.actor)
            )
            return
        purchase_reject(purchase_id=purchase, reason="no match", actor=self.actor)
        self._apply_reject(model)

    @rule(purchase=purchases)
    def reverse(self, purchase):
        from purchases.errors import PurchaseAlreadyReversed, PurchaseNotReversible
        from purchases.services import purchase_reverse

        _count("reverse")
        model = self.model_purchases[purchase]
        call = lambda: purchase_reverse(purchase_id=purchase, actor=self.actor)  # noqa: E731
        if model.status == "reversed":
            self._expect_error(PurchaseAlreadyReversed, call)
            return
        if model.status == "rejected":
            self._expect_error(PurchaseNotReversible, call)
            return
        result = call()
        assert result.status == "reversed"
        if model.status == "confirmed":
            _count("(confirmed cashback reversed)")
        self._take_back(model, model.cashback - model.taken)
        model.status = "reversed"
        model.claimed_until = model.token = model.next_attempt_at = None

    # --- a partner: batches, approvals, declines, returns -------------------------

    @rule(
        target=purchases,
        items=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 2), amounts), min_size=1, max_size=4),
        repeat_first=st.booleans(),
        replay=st.booleans(),
    )
    def partner_batch(self, items, repeat_first, replay):
        from purchases.ingestion import PurchaseReport, purchases_ingest

        _count("partner_batch")
        reports, expected = [], []
        for user, offer, amount in items:
            external_id = f"sm-p-{uuid.uuid4().hex}"
            reports.append(
                PurchaseReport(
                    external_id=external_id,
                    user_id=self.users[user].pk,
                    merchant_id=self.offers[offer].merchant_id,
                    amount=amount,
                    currency="EUR",
                )
            )
            expected.append(("created", user, offer, amount, external_id))
        if repeat_first:
            reports.append(reports[0])
            expected.append(("duplicate",))
        stored = list(self.model_purchases.values())
        if replay and stored:
            old = stored[0]
            reports.append(
                PurchaseReport(
                    external_id=old.external_id,
                    user_id=self.users[old.user].pk,
                    merchant_id=self.offers[old.offer].merchant_id,
                    amount=old.amount,
                    currency="EUR",
                )
            )
            expected.append(("duplicate",))
        results = purchases_ingest(reports=reports, reporter=self.reporter)
        assert [r.outcome for r in results] == [e[0] for e in expected]
        created = []
        for result, wanted in zip(results, expected, strict=True):
            if wanted[0] != "created":
                continue
            _, user, offer, amount, external_id = wanted
            cashback = self._cashback_for(offer, user, amount)  # in item order: earlier items count
            purchase = result.purchase
            assert purchase.cashback.amount == cashback, (purchase.cashback.amount, cashback)
            self.model_purchases[purchase.pk] = ModelPurchase(
                id=purchase.pk,
                external_id=external_id,
                user=user,
                offer=offer,
                amount=amount,
                cashback=cashback,
                partner=True,
                next_attempt_at=purchase.next_attempt_at,
            )
            self.wallets[user].pending += cashback
            created.append(purchase.pk)
        return multiple(*created)

    def _partners(self, status: str | None = None) -> list[uuid.UUID]:
        return [p.id for p in self.model_purchases.values() if p.partner and (status is None or p.status == status)]

    @precondition(lambda self: self._partners())
    @rule(data=st.data(), approve=st.booleans())
    def partner_approves_or_declines(self, data, approve):
        from purchases.errors import PurchaseNotPending
        from purchases.services import purchase_confirm, purchase_reject

        _count("partner_approve" if approve else "partner_decline")
        purchase = data.draw(st.sampled_from(self._partners("pending") or self._partners()))
        model = self.model_purchases[purchase]
        if approve:
            call = lambda: purchase_confirm(purchase_id=purchase, actor=self.partner_actor)  # noqa: E731
        else:
            call = lambda: purchase_reject(purchase_id=purchase, reason="declined", actor=self.partner_actor)  # noqa: E731
        if model.status != "pending":
            self._expect_error(PurchaseNotPending, call)
            return
        call()
        if approve:
            self._apply_confirm(model)
        else:
            self._apply_reject(model)

    @precondition(lambda self: self._partners())
    @rule(data=st.data(), share=st.sampled_from(["0.25", "0.333", "0.5", "1", "none"]), again=st.booleans())
    def partner_returns(self, data, share, again):
        from purchases.errors import PurchaseNotReversible
        from purchases.reversal import purchase_return

        _count("partner_return")
        live = self._partners("confirmed") + self._partners("pending")
        purchase = data.draw(st.sampled_from(live or self._partners()))
        model = self.model_purchases[purchase]
        left = model.amount - model.returned
        amount = None if share == "none" else max(quantize(left * Decimal(share)), Decimal("0.01"))
        return_id = f"r-{uuid.uuid4().hex[:8]}"

        def call():
            return purchase_return(
                purchase_id=purchase, return_id=return_id, amount=amount, reason="returned", actor=self.partner_actor
            )

        if model.status in ("rejected", "reversed"):
            self._expect_error(PurchaseNotReversible, call)
            return
        call()
        if amount is None or amount >= left:
            _count("(full return)")
            self._take_back(model, model.cashback - model.taken)
            model.returned = model.amount
            model.status = "reversed"
            model.claimed_until = model.token = model.next_attempt_at = None
        else:
            _count("(partial return)")
            taken = min(quantize(model.cashback * amount / model.amount), model.cashback - model.taken)
            self._take_back(model, taken)
            model.returned += amount
            model.taken += taken
        if again:  # the same return_id again moves nothing
            call()

    # Targeted variants: the bundle rules above mostly hit purchases in a state where the
    # call is refused; these pick a purchase in the state that makes the call succeed.

    def _in_status(self, status: str) -> list[uuid.UUID]:
        # in creation order (ids are random; the order must not depend on them)
        return [p.id for p in self.model_purchases.values() if p.status == status]

    def _prefer(self, ids: list[uuid.UUID], interesting) -> list[uuid.UUID]:
        return [pk for pk in ids if interesting(self.model_purchases[pk])] or ids

    @precondition(lambda self: self._in_status("pending"))
    @rule(data=st.data())
    def confirm_a_pending_purchase(self, data):
        """Prefers a user who owes a clawback, so the confirmation must settle it first."""
        ids = self._prefer(self._in_status("pending"), lambda p: self.wallets[p.user].owed > ZERO)
        self.confirm_by_admin(data.draw(st.sampled_from(ids)))

    @precondition(lambda self: self._in_status("confirmed"))
    @rule(data=st.data())
    def reverse_a_confirmed_purchase(self, data):
        """Prefers cashback already spent, so the reversal creates a clawback (owed)."""
        ids = self._prefer(self._in_status("confirmed"), lambda p: self.wallets[p.user].available < p.cashback)
        self.reverse(data.draw(st.sampled_from(ids)))

    # --- the confirmation job -----------------------------------------------

    @rule(seconds=st.sampled_from([30, 61, 121, 300]))
    def time_passes(self, seconds):
        _count("time_passes")
        self.clock += dt.timedelta(seconds=seconds)

    @rule(
        flag=st.sampled_from(["job", "auto_global", "auto_user", "auto_merchant"]),
        index=st.integers(0, 2),
        enabled=st.booleans(),
    )
    def flip_flag(self, flag, index, enabled):
        from clicknback.flags.services import flag_set

        _count("flip_flag")
        if flag == "job":
            flag_set(key="purchase_confirmation_job", enabled=enabled, actor=self.actor)
            self.flags.job = enabled
        elif flag == "auto_global":
            flag_set(key="purchase_auto_confirm", enabled=enabled, actor=self.actor)
            self.flags.auto_global = enabled
        elif flag == "auto_user":
            user_id = self.users[index % 2].pk
            flag_set(key="purchase_auto_confirm", enabled=enabled, scope_type="user", scope_id=user_id,
                     actor=self.actor)  # fmt: skip
            self.flags.auto_users[user_id] = enabled
        else:
            merchant_id = self.offers[index].merchant_id
            flag_set(key="purchase_auto_confirm", enabled=enabled, scope_type="merchant", scope_id=merchant_id,
                     actor=self.actor)  # fmt: skip
            self.flags.auto_merchants[merchant_id] = enabled

    def _claimable(self) -> set[uuid.UUID]:
        if not self.flags.job_on():
            return set()
        return {
            p.id
            for p in self.model_purchases.values()
            if p.status == "pending"
            and (p.next_attempt_at is None or p.next_attempt_at <= self.clock)
            and (p.claimed_until is None or p.claimed_until <= self.clock)
            and self.flags.allows(self.users[p.user].pk, self.offers[p.offer].merchant_id)
        }

    @rule(worker_dies=st.booleans(), delivered_twice=st.booleans())
    def run_confirmation_job(self, worker_dies, delivered_twice):
        from purchases.confirmation import Outcome, purchase_claim_due, purchase_verify

        _count("job_worker_dies" if worker_dies else "job")
        expected = self._claimable()
        claims = [c for c in purchase_claim_due(limit=10_000, now=self.clock) if c.purchase_id in self.model_purchases]
        assert {c.purchase_id for c in claims} == expected
        for claim in claims:
            model = self.model_purchases[claim.purchase_id]
            model.claimed_until = self.clock + dt.timedelta(seconds=CLAIM_SECONDS)
            model.token = claim.token
        if worker_dies:
            return  # the claims are leases: they expire and the purchases are claimed again
        for claim in claims:
            model = self.model_purchases[claim.purchase_id]
            outcome = purchase_verify(purchase_id=claim.purchase_id, claim_token=claim.token, now=self.clock)
            model.attempts += 1
            if self.offers[model.offer].merchant_id != self.bad_merchant_id:
                assert outcome == Outcome.CONFIRMED
                self._apply_confirm(model)
            elif model.attempts >= MAX_ATTEMPTS:
                assert outcome == Outcome.REJECTED
                self._apply_reject(model)
            else:
                assert outcome == Outcome.RETRY
                model.claimed_until = model.token = None
                model.next_attempt_at = self.clock + dt.timedelta(seconds=INTERVAL_SECONDS)
            if delivered_twice:
                again = purchase_verify(purchase_id=claim.purchase_id, claim_token=claim.token, now=self.clock)
                assert again == Outcome.SKIPPED

    # --- payouts --------------------------------------------------------------

    @rule(target=payouts, user=st.integers(0, 1), amount=payout_amounts, card=st.booleans())
    def request_payout(self, user, amount, card):
        from payouts.errors import InsufficientBalance, PayoutPolicyViolation
        from payouts.services import payout_request

        _count("payout_request")
        method, details = ("card", {"card_token": "tok_4242"}) if card else (
            "bank_transfer", {"iban": VALID_IBAN, "account_holder": "A. Holder"})  # fmt: skip
        call = lambda: payout_request(user=self.users[user], amount=amount, method=method, details=details)  # noqa: E731
        used = sum((p.amount for p in self.model_payouts.values() if p.user == user and p.status != "failed"), ZERO)
        remaining = max(PAYOUT_LIMIT - used, ZERO)
        if amount < PAYOUT_MIN or amount > remaining:
            self._expect_error(PayoutPolicyViolation, call)
            return multiple()
        if self.wallets[user].available < amount:
            self._expect_error(InsufficientBalance, call)
            return multiple()
        payout = call()
        _count("(payout granted)")
        assert payout.status == "requested"
        self.wallets[user].available -= amount
        self.model_payouts[payout.pk] = ModelPayout(id=payout.pk, user=user, amount=amount)
        return payout.pk

    @precondition(lambda self: any(w.available >= PAYOUT_MIN for w in self.wallets))
    @rule(target=payouts, user=st.integers(0, 1), share=st.sampled_from(["0.10", "0.50", "0.90"]))
    def request_an_affordable_payout(self, user, share):
        """A payout the wallet can cover (random amounts mostly exceed the balance)."""
        amount = quantize(self.wallets[user].available * Decimal(share))
        if amount <= ZERO:
            return multiple()
        return self.request_payout(user, amount, card=False)

    def _live_payouts(self) -> list[uuid.UUID]:
        return [p.id for p in self.model_payouts.values() if p.status in ("requested", "processing")]

    @precondition(lambda self: self._live_payouts())
    @rule(data=st.data(), status=st.sampled_from(["processing", "completed", "failed"]))
    def process_a_live_payout(self, data, status):
        """Prefers a payout of a user who owes a clawback, so a refund must settle it first."""
        live = self._live_payouts()
        owing = [pk for pk in live if self.wallets[self.model_payouts[pk].user].owed > ZERO]
        self.process_payout(data.draw(st.sampled_from(owing or live)), status)

    @precondition(lambda self: any(w.available >= PAYOUT_MIN for w in self.wallets))
    @rule(target=payouts, user=st.integers(0, 1))
    def withdraw_everything_available(self, user):
        """A user emptying their wallet: a later reversal of confirmed cashback is then owed."""
        amount = min(self.wallets[user].available, PAYOUT_LIMIT)
        if amount <= ZERO:
            return multiple()
        return self.request_payout(user, amount, card=True)

    @rule(payout=payouts, status=st.sampled_from(["processing", "completed", "failed"]))
    def process_payout(self, payout, status):
        from payouts.errors import InvalidPayoutTransition
        from payouts.services import payout_process

        _count("payout_process")
        model = self.model_payouts[payout]
        allowed = {"requested": {"processing", "completed", "failed"}, "processing": {"completed", "failed"}}
        call = lambda: payout_process(payout_id=payout, status=status, actor=self.actor)  # noqa: E731
        if status not in allowed.get(model.status, set()):
            self._expect_error(InvalidPayoutTransition, call)
            return
        call()
        _count(f"(payout {status})")
        model.status = status
        if status == "completed":
            self.wallets[model.user].paid += model.amount
        elif status == "failed":
            # the refund first settles any clawback debt, the rest becomes available
            wallet = self.wallets[model.user]
            settled = min(wallet.owed, model.amount)
            if settled:
                _count("(failed payout settling owed)")
            wallet.owed -= settled
            wallet.available += model.amount - settled

    @rule(payout=consumes(payouts))
    def forget_payout(self, payout):
        """Keeps the bundle small so processing hits live payouts more often."""

    # --- invariants -------------------------------------------------------------

    @invariant()
    def wallets_are_non_negative_match_their_ledger_and_the_model_and_conserve_money(self):
        from payouts.models import Payout
        from purchases.models import CashbackTransaction
        from wallets.models import LedgerEntry, Wallet
        from wallets.services import BALANCE_FIELDS

        STATS["steps"] += 1
        user_ids = [user.pk for user in self.users]
        fields = list(BALANCE_FIELDS.values())
        wallets = {
            row["user_id"]: row for row in Wallet.objects.filter(user_id__in=user_ids).values("id", "user_id", *fields)
        }
        ledger: dict = {}
        for wallet_id, bucket, total in (
            LedgerEntry.objects.filter(wallet__user_id__in=user_ids)
            .values("wallet_id", "bucket")
            .annotate(total=Sum("amount"))
            .values_list("wallet_id", "bucket", "total")
        ):
            ledger[(wallet_id, BALANCE_FIELDS[bucket])] = total
        cashback = {
            row["user_id"]: row
            for row in CashbackTransaction.objects.filter(user_id__in=user_ids)
            .values("user_id")
            .annotate(
                credited=Sum("amount"),
                reversed=Sum("amount", filter=Q(status="reversed")),
                returned=Sum("returned_amount", filter=~Q(status="reversed")),
            )
        }
        in_flight = dict(
            Payout.objects.filter(user_id__in=user_ids, status__in=["requested", "processing"])
            .values("user_id")
            .annotate(total=Sum("amount"))
            .values_list("user_id", "total")
        )
        for index, user_id in enumerate(user_ids):
            row = wallets.get(user_id)
            balances = {name: (row[name] if row else ZERO) for name in fields}
            # no balance is negative
            assert all(value >= ZERO for value in balances.values()), balances
            # the cached balances equal the append-only ledger
            if row:
                assert {name: ledger.get((row["id"], name), ZERO) for name in fields} == balances
            # and equal the model, to the cent
            model = self.wallets[index]
            assert balances == {
                "pending_balance": model.pending,
                "available_balance": model.available,
                "paid_balance": model.paid,
                "owed_balance": model.owed,
            }, (balances, model)
            # conservation: credited = pending + available + paid + in flight + reversed - owed
            credited = (cashback.get(user_id) or {}).get("credited") or ZERO
            # cashback taken back: all of a reversed one, what returns took of the others
            reversed_ = ((cashback.get(user_id) or {}).get("reversed") or ZERO) + (
                (cashback.get(user_id) or {}).get("returned") or ZERO
            )
            accounted = (
                balances["pending_balance"]
                + balances["available_balance"]
                + balances["paid_balance"]
                + (in_flight.get(user_id) or ZERO)
                + reversed_
                - balances["owed_balance"]
            )
            assert credited == accounted, (credited, accounted, balances, in_flight, reversed_)

    @invariant()
    def each_purchase_is_resolved_at_most_once_and_matches_the_model(self):
        from clicknback.audit.models import AuditLog
        from purchases.models import Purchase
        from wallets.models import LedgerEntry

        if not self.model_purchases:
            return
        ids = list(self.model_purchases)
        statuses = dict(Purchase.objects.filter(pk__in=ids).values_list("pk", "status"))
        assert statuses == {pk: p.status for pk, p in self.model_purchases.items()}
        audits = (
            AuditLog.objects.filter(resource_type="purchase", resource_id__in=[str(pk) for pk in ids])
            .values("resource_id")
            .annotate(
                resolved=Count("id", filter=Q(action__in=["purchase.confirmed", "purchase.rejected"])),
                reversed=Count("id", filter=Q(action="purchase.reversed")),
            )
        )
        for row in audits:
            assert row["resolved"] <= 1 and row["reversed"] <= 1, row
        ledger = (
            LedgerEntry.objects.filter(source_type="purchase", source_id__in=ids)
            .values("source_id", "reason")
            .annotate(n=Count("source_id", distinct=False))
        )
        per_purchase: dict = {}
        for row in ledger:
            key = (row["source_id"], row["reason"])
            per_purchase[key] = per_purchase.get(key, 0) + 1
        for (source_id, reason), n in per_purchase.items():
            if reason in ("cashback_pending", "cashback_rejected", "cashback_reversed"):
                assert n <= 1, (source_id, reason, n)

    @invariant()
    def events_recorded_match_the_transitions_one_for_one(self):
        """Each committed transition (its audit row) has exactly one event (§14), and no event
        exists without one: a full return is a reversal, a partial one ``purchase.returned``."""
        from collections import Counter

        from clicknback.audit.models import AuditLog
        from clicknback.outbox.models import Event

        def event_type(action: str, details: dict) -> str | None:
            if action == "purchase.ingested":
                return "purchase.created"
            if action == "purchase.returned":
                return "purchase.returned" if "return_id" in details else "purchase.reversed"
            if action in ("purchase.confirmed", "purchase.rejected", "purchase.reversed") or action.startswith(
                "payout."
            ):
                return action
            return None

        transitions = Counter(
            (resource_id, event_type(action, details))
            for resource_id, action, details in AuditLog.objects.filter(
                resource_type__in=["purchase", "payout"]
            ).values_list("resource_id", "action", "details")
            if event_type(action, details) is not None
        )
        events = Counter(
            (str(resource_id), type_) for resource_id, type_ in Event.objects.values_list("resource_id", "type")
        )
        assert events == transitions


@pytest.mark.slow
@pytest.mark.django_db
def test_money_services_keep_every_invariant_under_random_interleavings():
    # given the services, a model, and a deterministic search budget
    budget = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    # when / then: every step's outcome matches the model and every invariant holds
    run_state_machine_as_test(MoneyMachine, settings=budget)
    calls = ", ".join(f"{name}×{count}" for name, count in sorted(STATS["calls"].items()))
    record(
        "state machine",
        f"{STATS['examples']} runs × ≤{STEPS} steps = {STATS['steps']} checked states; rules: {calls}",
    )
    assert STATS["calls"].get("ingest", 0) > 0
