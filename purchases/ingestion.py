"""Purchase ingestion (contract §6 and §13): the one implementation, for one purchase or a batch.

A user reporting their own purchase, a partner reporting one, a partner's batch and a
postback all come here. Each report is checked on its own, in the contract's order:

1. what the reporter may not do (403: a user for someone else, a partner for a merchant
   it is not linked to);
2. a duplicate ``external_id`` (409; inside a batch the first report of an id wins);
3. the user (partners only: unknown or inactive → ``USER_NOT_ELIGIBLE``) and the
   purchase date (``PURCHASE_DATE_OUT_OF_RANGE``);
4. the currency, the merchant, and the merchant's offer valid on the UTC date of
   ``purchased_at``.

An accepted report pays for no check that cannot fail: the users and the offers of the
whole batch are read in one statement each, before the transaction, and
``UNIQUE(external_id)`` decides duplicates. Only the reports with no offer (or another
refusal) are looked up again to tell a duplicate from the refusal.

The accepted reports are written in one transaction, in a fixed number of statements
whatever their count: the purchases (one ``INSERT ... ON CONFLICT DO NOTHING``, sorted by
``external_id``, so two batches meet their common ids in the same order and a concurrent
duplicate waits for the first and is then left out), the wallets of their users (locked
together, in primary-key order), the monthly-cap sums (one statement, read under the
wallet locks, so concurrent ingestions for one user are serialised and never credit
more than the cap together), then the cashback rows, the wallets, the ledger and the
audit rows as one statement. Should that transaction fail for a reason tied to one
report, the reports are retried one transaction each, so one report never undoes or
blocks another.
"""

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.utils import timezone

from clicknback.audit.services import Actor, audit_inserting, audit_row
from clicknback.errors import DomainError, Forbidden
from clicknback.money import SUPPORTED_CURRENCIES, format_amount
from clicknback.outbox.services import events_inserting
from clicknback.request_context import get_request_id
from clicknback.rows import RowWriter, send_together
from purchases.cashback import cashback_for
from purchases.errors import (
    DuplicatePurchase,
    MerchantNotAllowed,
    MerchantNotEligible,
    OfferNotAvailable,
    PurchaseDateOutOfRange,
    UnsupportedCurrency,
    UserNotEligible,
)
from purchases.events import purchase_events
from purchases.models import CashbackStatus, CashbackTransaction, Purchase, PurchaseStatus
from purchases.selectors import (
    CapKey,
    OfferTerms,
    cap_key,
    cashback_earned_in_months,
    merchant_eligible,
    offer_terms_for_purchases,
)
from wallets.models import Bucket
from wallets.services import WalletBatch, wallet_lock, wallets_lock

logger = logging.getLogger(__name__)

SOURCE_TYPE = "purchase"


@dataclass(frozen=True)
class PurchaseReport:
    """One purchase as a reporter sent it (validated for shape by its serializer)."""

    external_id: str
    user_id: uuid.UUID
    merchant_id: uuid.UUID
    amount: Decimal
    currency: str
    purchased_at: dt.datetime | None = None


@dataclass(frozen=True)
class Reporter:
    """Who reports: a user for themself, or a partner (for its linked merchants)."""

    actor: Actor
    user_id: uuid.UUID | None = None
    partner_id: uuid.UUID | None = None
    merchant_ids: frozenset[uuid.UUID] = frozenset()

    @classmethod
    def user(cls, user) -> "Reporter":
        return cls(actor=Actor.of(user), user_id=user.pk)

    @property
    def is_partner(self) -> bool:
        return self.partner_id is not None

    def owns(self, purchase: Purchase) -> bool:
        if self.is_partner:
            return purchase.partner_id == self.partner_id
        return purchase.user_id == self.user_id


class Outcome:
    CREATED = "created"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass
class Ingested:
    """What became of one report: the purchase created (or the existing one, for a
    duplicate the reporter owns) and, unless created, the error ``POST`` would answer."""

    outcome: str
    purchase: Purchase | None = None
    error: DomainError | None = None


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duplicate(external_id: str, existing: Purchase | None, reporter: Reporter) -> Ingested:
    if existing is None:  # a repeat inside the batch of a report that was not created
        return Ingested(Outcome.DUPLICATE, error=DuplicatePurchase(details={"external_id": external_id}))
    details = {
        "external_id": existing.external_id,
        "previously_created_at": _stamp(existing.created_at),
        "previously_processed_amount": format_amount(existing.amount),
    }
    owned = reporter.owns(existing)
    if owned:
        details["purchase_id"] = str(existing.pk)
    error = DuplicatePurchase(f"A purchase with external_id {existing.external_id!r} already exists.", details=details)
    return Ingested(Outcome.DUPLICATE, purchase=existing if owned else None, error=error)


def _reporter_refusal(report: PurchaseReport, reporter: Reporter) -> DomainError | None:
    if reporter.is_partner:
        if report.merchant_id not in reporter.merchant_ids:
            return MerchantNotAllowed(
                "This partner is not linked to the merchant.", details={"merchant_id": str(report.merchant_id)}
            )
    elif report.user_id != reporter.user_id:
        return Forbidden("A purchase can only be recorded for yourself.", reason="ownership")
    return None


def _date_refusal(purchased_at: dt.datetime, now: dt.datetime) -> DomainError | None:
    earliest = now - dt.timedelta(days=settings.PURCHASE_MAX_AGE_DAYS)
    latest = now + dt.timedelta(seconds=settings.PURCHASE_MAX_FUTURE_SECONDS)
    if earliest <= purchased_at <= latest:
        return None
    return PurchaseDateOutOfRange(
        f"purchased_at must be within the last {settings.PURCHASE_MAX_AGE_DAYS} days and at most "
        f"{settings.PURCHASE_MAX_FUTURE_SECONDS // 60} minutes ahead.",
        details={"purchased_at": _stamp(purchased_at), "earliest": _stamp(earliest), "latest": _stamp(latest)},
    )


def _active_user_ids(user_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not user_ids:
        return set()
    return set(get_user_model().objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True))


@dataclass
class _Accepted:
    index: int
    purchase: Purchase
    offer: OfferTerms


def _existing_by_external_id(external_ids: set[str]) -> dict[str, Purchase]:
    if not external_ids:
        return {}
    return {
        p.external_id: p
        for p in Purchase.objects.select_related("merchant", "cashback").filter(external_id__in=external_ids)
    }


_purchase_writer = RowWriter(Purchase)
_cashback_writer = RowWriter(CashbackTransaction)


def purchases_ingest(*, reports: Sequence[PurchaseReport | DomainError], reporter: Reporter) -> list[Ingested]:
    """Ingest each report on its own (see the module's docstring); one result per report, in order.

    A report that already failed its schema is passed as its ``DomainError`` and comes
    back ``rejected`` with it.
    """
    now = timezone.now()
    results: list[Ingested | None] = [None] * len(reports)
    first_of: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []  # (index, index of the first report of its id)
    candidates: list[tuple[int, PurchaseReport, dt.datetime, str]] = []
    for index, report in enumerate(reports):
        if isinstance(report, DomainError):
            results[index] = Ingested(Outcome.REJECTED, error=report)
            continue
        refusal = _reporter_refusal(report, reporter)
        if refusal is not None:
            results[index] = Ingested(Outcome.REJECTED, error=refusal)
            continue
        if report.external_id in first_of:
            repeats.append((index, first_of[report.external_id]))
            continue
        first_of[report.external_id] = index
        purchased_at = report.purchased_at if reporter.is_partner and report.purchased_at is not None else now
        candidates.append((index, report, purchased_at, report.currency.strip().upper()))

    # The refusals that come after the duplicate check, decided with one read of the
    # users and one of the offers for the whole batch.
    active_users = (
        _active_user_ids({report.user_id for _, report, _, _ in candidates}) if reporter.is_partner else set()
    )
    late: dict[int, DomainError] = {}
    wanted: list[tuple[int, PurchaseReport, dt.datetime, str]] = []
    for index, report, purchased_at, currency in candidates:
        if reporter.is_partner and report.user_id not in active_users:
            late[index] = UserNotEligible(details={"user_id": str(report.user_id)})
        elif reporter.is_partner and (refusal := _date_refusal(purchased_at, now)) is not None:
            late[index] = refusal
        elif currency not in SUPPORTED_CURRENCIES:
            late[index] = UnsupportedCurrency(
                f"Currency {report.currency!r} is not supported; use EUR.", details={"currency": report.currency}
            )
        else:
            wanted.append((index, report, purchased_at, currency))
    offers = offer_terms_for_purchases(
        wanted=[(report.merchant_id, purchased_at.astimezone(dt.UTC).date()) for _, report, purchased_at, _ in wanted]
    )
    accepted: list[_Accepted] = []
    eligible: dict[uuid.UUID, bool] = {}  # merchants looked up to name a refusal
    for index, report, purchased_at, currency in wanted:
        offer = offers.get((report.merchant_id, purchased_at.astimezone(dt.UTC).date()))
        if offer is None:
            if report.merchant_id not in eligible:
                eligible[report.merchant_id] = merchant_eligible(merchant_id=report.merchant_id) is not None
            late[index] = (
                OfferNotAvailable(details={"merchant_id": str(report.merchant_id)})
                if eligible[report.merchant_id]
                else MerchantNotEligible(details={"merchant_id": str(report.merchant_id)})
            )
            continue
        purchase = Purchase(
            id=uuid.uuid4(),
            external_id=report.external_id,
            user_id=report.user_id,
            merchant_id=offer.merchant_id,
            offer_id=offer.offer_id,
            amount=report.amount,
            currency=currency,
            status=PurchaseStatus.PENDING,
            purchased_at=purchased_at,
            partner_id=reporter.partner_id,
            next_attempt_at=now,
            ingest_request_id=get_request_id() or "",
        )
        accepted.append(_Accepted(index, purchase, offer))

    created, failed = _write_accepted(accepted, reporter) if accepted else (set(), {})
    for item in accepted:
        if item.index in created:
            results[item.index] = Ingested(Outcome.CREATED, purchase=item.purchase)
        elif item.index in failed:
            results[item.index] = Ingested(Outcome.REJECTED, error=failed[item.index])

    # Everything else is a duplicate if its id is stored, else its own refusal.
    undecided = {reports[i].external_id for i in late} | {  # type: ignore[union-attr]
        item.purchase.external_id for item in accepted if results[item.index] is None
    }
    existing = _existing_by_external_id(undecided)
    for index, error in late.items():
        external_id = reports[index].external_id  # type: ignore[union-attr]
        if external_id in existing:
            results[index] = _duplicate(external_id, existing[external_id], reporter)
        else:
            results[index] = Ingested(Outcome.REJECTED, error=error)
    for item in accepted:
        if results[item.index] is None:
            external_id = item.purchase.external_id
            results[item.index] = _duplicate(external_id, existing.get(external_id), reporter)
    # A repeat inside the batch is a duplicate of what its first report became.
    for index, first in repeats:
        first_result = results[first]
        assert first_result is not None
        external_id = reports[index].external_id  # type: ignore[union-attr]
        if first_result.outcome == Outcome.CREATED:
            results[index] = _duplicate(external_id, first_result.purchase, reporter)
        elif first_result.outcome == Outcome.DUPLICATE:
            results[index] = first_result
        else:
            results[index] = _duplicate(external_id, None, reporter)
    done = [result for result in results if result is not None]
    assert len(done) == len(reports)
    return done


class PurchaseNotStored(DomainError):
    """The database refused one report's rows (a race with a deletion, say): that report
    alone fails, on our side, and may be sent again."""

    code = "INTERNAL_SERVER_ERROR"
    http_status = 500
    default_message = "The purchase could not be stored; send it again."


def _write_accepted(accepted: list[_Accepted], reporter: Reporter) -> tuple[set[int], dict[int, DomainError]]:
    """Write the accepted reports: the indexes of those created (the others are duplicates),
    and of those the database refused."""
    try:
        with transaction.atomic():
            return _ingest_together(accepted, reporter), {}
    except DatabaseError:
        if len(accepted) == 1:
            raise
        logger.warning("A batch's rows were refused; ingesting its reports one by one.", exc_info=True)
    created: set[int] = set()
    failed: dict[int, DomainError] = {}
    for item in accepted:
        try:
            with transaction.atomic():
                created |= _ingest_together([item], reporter)
        except DatabaseError:
            logger.exception("A purchase report could not be stored.")
            failed[item.index] = PurchaseNotStored(details={"request_id": get_request_id() or ""})
    return created, failed


def _ingest_together(accepted: list[_Accepted], reporter: Reporter) -> set[int]:
    by_external_id = sorted(accepted, key=lambda item: item.purchase.external_id)
    inserted = _purchase_writer.insert_absent([item.purchase for item in by_external_id], unique="external_id")
    if not inserted:
        return set()
    inserted_ids = {purchase.pk for purchase in inserted}
    fresh = [item for item in accepted if item.purchase.pk in inserted_ids]  # in report order
    user_ids = {item.purchase.user_id for item in fresh}
    if len(user_ids) == 1:
        (only,) = user_ids
        wallets = {only: wallet_lock(user_id=only)}
    else:
        wallets = wallets_lock(user_ids=user_ids)
    keys: dict[int, CapKey] = {
        item.index: cap_key(
            user_id=item.purchase.user_id, offer_id=item.offer.offer_id, moment=item.purchase.purchased_at
        )
        for item in fresh
    }
    earned = cashback_earned_in_months(keys=list(keys.values()))
    postings = WalletBatch()
    cashbacks: list[CashbackTransaction] = []
    audits = []
    for item in fresh:
        purchase, offer = item.purchase, item.offer
        key = keys[item.index]
        credited = cashback_for(
            amount=purchase.amount,
            cashback_type=offer.cashback_type,
            cashback_value=offer.cashback_value,
            monthly_cap=offer.monthly_cap,
            already_earned=earned[key],
            max_per_purchase=offer.max_cashback_per_purchase,
        )
        earned[key] += credited
        cashback = CashbackTransaction(
            purchase=purchase,
            user_id=purchase.user_id,
            offer_id=offer.offer_id,
            amount=credited,
            currency=purchase.currency,
            status=CashbackStatus.PENDING,
            purchased_at=purchase.purchased_at,
        )
        cashbacks.append(cashback)
        purchase.cashback = cashback
        postings.post(
            wallet=wallets[purchase.user_id],
            movements=[(Bucket.PENDING, credited)],
            reason="cashback_pending",
            source_type=SOURCE_TYPE,
            source_id=purchase.pk,
            actor=reporter.actor,
        )
        details = {
            "external_id": purchase.external_id,
            "merchant_id": str(offer.merchant_id),
            "offer_id": str(offer.offer_id),
            "amount": format_amount(purchase.amount),
            "cashback_amount": format_amount(credited),
            "purchased_at": _stamp(purchase.purchased_at),
        }
        if reporter.partner_id is not None:
            details["partner_id"] = str(reporter.partner_id)
        audits.append(
            audit_row(
                actor=reporter.actor,
                action="purchase.ingested",
                resource_type=SOURCE_TYPE,
                resource_id=purchase.pk,
                details=details,
            )
        )
    # The cashback, wallet, ledger, audit and event rows, sent as one statement.
    send_together(
        _cashback_writer.inserting(cashbacks),
        *postings.writes(),
        audit_inserting(audits),
        events_inserting(
            purchase_events(
                "purchase.created",
                [item.purchase for item in fresh],
                merchant_names={item.offer.merchant_id: item.offer.merchant_name for item in fresh},
            )
        ),
    )
    # Looked up when called: the notifier lives with the other transitions (which import
    # this module), and tests replace it there.
    from purchases import services

    transaction.on_commit(services.notify_confirmation_job)
    return {item.index for item in fresh}
