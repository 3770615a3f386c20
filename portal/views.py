"""Server-rendered wallet pages for end users (session sign-in, CSRF on every form).

Views parse the request, call one selector or service, and render. Every read is
scoped to ``request.user`` by ``portal.queries``; ids in URLs are looked up
together with the owner, so another user's id is a plain 404.
"""

import math
import uuid

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clicknback.errors import DomainError
from clicknback.money import euro, format_amount
from payouts.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from payouts.models import PayoutMethod, PayoutStatus
from payouts.policy import payout_terms
from payouts.services import payout_cancel as payout_cancel_service
from portal import queries
from portal.forms import WalletSignInForm, WithdrawalForm
from portal.withdrawals import (
    attach_service_error,
    form_already_used,
    new_form_key,
    preview_problems,
    saved_destinations,
    saved_details,
    withdrawal_request,
)
from purchases.models import CashbackStatus, PurchaseReturn, PurchaseStatus
from users.services import user_set_notifications
from users.throttles import LoginRateThrottle
from wallets.selectors import wallet_get

PAGE_SIZE = 10
RECENT = 5

STATUS_LABELS = {
    **dict(PurchaseStatus.choices),
    **dict(CashbackStatus.choices),
    **dict(PayoutStatus.choices),
}
METHOD_LABELS = dict(PayoutMethod.choices)
# payouts that gave the money back: they no longer move money
REFUNDED = (PayoutStatus.FAILED, PayoutStatus.CANCELLED, PayoutStatus.RETURNED)


def _status(value: str) -> dict[str, str]:
    return {"value": value, "label": STATUS_LABELS.get(value, value.title())}


def _balances(user_id: uuid.UUID) -> dict:
    wallet = wallet_get(user_id=user_id)
    return {
        "pending": euro(wallet.pending_balance),
        "available": euro(wallet.available_balance),
        "paid": euro(wallet.paid_balance),
        "owed": euro(wallet.owed_balance) if wallet.owed_balance > 0 else None,
    }


def _transaction_rows(user_id: uuid.UUID, rows) -> list[dict]:
    rows = list(rows)
    merchants, destinations = queries.transaction_labels(user_id=user_id, rows=rows)
    out = []
    for row in rows:
        credit = row["tx_type"] == queries.CASHBACK_CREDIT
        taken_back = row["tx_type"] == queries.CASHBACK_REVERSAL
        if row["tx_type"] == queries.ADJUSTMENT:
            out.append(
                {
                    "id": row["tx_id"],
                    "kind": "Correction",
                    "description": row.get("tx_reason") or "",
                    "amount": euro(row["tx_amount"]),
                    "credit": row["tx_amount"] > 0,
                    "void": False,
                    "status": _status(row["tx_status"]),
                    "url": "",
                    "occurred_at": row["tx_created_at"],
                }
            )
            continue
        if credit or taken_back:
            description = merchants.get(row["tx_purchase_id"], "")
            if taken_back:
                reason = row.get("tx_reason") or "no reason given"
                description = f"{description}: {reason}" if description else reason
            url = f"/wallet/purchases/{row['tx_purchase_id']}/"
        else:
            description = f"Payout to {destinations.get(row['tx_payout_id'], '')}"
            url = f"/wallet/payouts/{row['tx_payout_id']}/"
        out.append(
            {
                "id": row["tx_id"],
                "kind": "Cashback" if credit else ("Cashback taken back" if taken_back else "Withdrawal"),
                "description": description,
                "amount": euro(row["tx_amount"]) if credit else euro(-row["tx_amount"]),
                "credit": credit,
                # reversed cashback and failed payouts no longer move money
                "void": row["tx_status"] in (CashbackStatus.REVERSED, *REFUNDED),
                "status": _status(row["tx_status"]),
                "url": url,
                "occurred_at": row["tx_created_at"],
            }
        )
    return out


def _purchase_row(purchase) -> dict:
    cashback = getattr(purchase, "cashback", None)
    return {
        "id": purchase.id,
        "external_id": purchase.external_id,
        "merchant": purchase.merchant.name,
        "amount": euro(purchase.amount),
        "status": _status(purchase.status),
        "cashback": euro(cashback.amount) if cashback else "—",
        "cashback_status": _status(cashback.status) if cashback else None,
        "cashback_void": bool(cashback and cashback.status == CashbackStatus.REVERSED),
        "status_reason": purchase.status_reason,
        "returned_amount": euro(purchase.returned_amount) if purchase.returned_amount else None,
        "purchased_at": purchase.purchased_at,
        "created_at": purchase.created_at,
        "updated_at": purchase.updated_at,
    }


def _payout_row(payout) -> dict:
    return {
        "id": payout.id,
        "amount": euro(payout.amount),
        "method": METHOD_LABELS.get(payout.method, payout.method),
        "destination": payout.destination_masked,
        "status": _status(payout.status),
        "external_reference": payout.external_reference,
        "failure_reason": payout.failure_reason,
        "cancellable": payout.status == PayoutStatus.REQUESTED,
        "void": payout.status in REFUNDED,
        "requested_at": payout.requested_at,
        "processed_at": payout.processed_at,
    }


def _page(request, queryset, to_rows):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return page, to_rows(page.object_list)


@method_decorator(never_cache, name="dispatch")
class WalletLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = WalletSignInForm
    redirect_authenticated_user = True
    next_page = "/wallet/"

    def get_default_redirect_url(self):
        return "/wallet/"

    def post(self, request, *args, **kwargs):
        # The same per-IP counter as POST /api/v1/auth/login: one budget of guesses,
        # whichever door they come through.
        throttle = LoginRateThrottle()
        # A DRF throttle on a Django view: it counts per client IP and never reads the view.
        if not throttle.allow_request(request, self):  # type: ignore[arg-type]
            wait = math.ceil(throttle.wait() or 60)
            form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")})
            context = self.get_context_data(form=form, throttled_for=wait)
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        form.describe_errors()
        return self.render_to_response(self.get_context_data(form=form), status=422)


class WalletLogoutView(auth_views.LogoutView):
    next_page = "/wallet/login/"

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are signed out.")
        return response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def wallet_home(request):
    user_id = request.user.pk
    transactions = _transaction_rows(user_id, queries.transactions_of(user_id=user_id)[:RECENT])
    purchases = [_purchase_row(p) for p in queries.purchases_of(user_id=user_id)[:RECENT]]
    context = {
        "nav": "home",
        "balances": _balances(user_id),
        "transactions": transactions,
        "purchases": purchases,
        "email_enabled": request.user.email_notifications,
    }
    return render(request, "portal/home.html", context)


@never_cache
@login_required
@require_http_methods(["POST"])
def notification_settings(request):
    """The wallet page's email switch: the same service as ``PATCH /users/me/notification-settings``."""
    enabled = request.POST.get("email_enabled") == "on"
    user_set_notifications(user_id=request.user.pk, email_enabled=enabled)
    messages.success(request, "Email notifications are on." if enabled else "Email notifications are off.")
    return redirect("wallet-home")


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def transaction_list(request):
    user_id = request.user.pk
    page, rows = _page(request, queries.transactions_of(user_id=user_id), lambda rows: _transaction_rows(user_id, rows))
    return render(request, "portal/transactions.html", {"nav": "transactions", "page": page, "rows": rows})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def purchase_list(request):
    status = request.GET.get("status") or ""
    if status not in PurchaseStatus.values:
        status = ""
    queryset = queries.purchases_of(user_id=request.user.pk, status=status or None)
    page, rows = _page(request, queryset, lambda items: [_purchase_row(p) for p in items])
    context = {
        "nav": "purchases",
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": PurchaseStatus.choices,
    }
    return render(request, "portal/purchases.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def purchase_detail(request, purchase_id: uuid.UUID):
    purchase = queries.purchase_of(user_id=request.user.pk, purchase_id=purchase_id)
    if purchase is None:
        raise Http404("No such purchase.")
    returns = [
        {
            "amount": euro(item.amount),
            "cashback_taken": euro(item.cashback_taken),
            "reason": item.reason,
            "full": item.full,
            "at": item.created_at,
        }
        for item in PurchaseReturn.objects.filter(purchase_id=purchase.pk).order_by("created_at", "id")
    ]
    context = {"nav": "purchases", "purchase": _purchase_row(purchase), "returns": returns}
    return render(request, "portal/purchase_detail.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def payout_list(request):
    page, rows = _page(
        request, queries.payouts_of(user_id=request.user.pk), lambda items: [_payout_row(p) for p in items]
    )
    return render(request, "portal/payouts.html", {"nav": "payouts", "page": page, "rows": rows})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def payout_detail(request, payout_id: uuid.UUID):
    payout = queries.payout_of(user_id=request.user.pk, payout_id=payout_id)
    if payout is None:
        raise Http404("No such payout.")
    return render(request, "portal/payout_detail.html", {"nav": "payouts", "payout": _payout_row(payout)})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request):
    form = WithdrawalForm(request.POST or None, initial={"form_key": new_form_key()})
    balances = _balances(request.user.pk)
    terms = payout_terms(user_id=request.user.pk, available=wallet_get(user_id=request.user.pk).available_balance)
    saved = saved_destinations(user_id=request.user.pk)
    status = 200
    if request.method == "POST":
        form.is_valid()
        if form.cleaned_data.get("saved"):
            form.saved_details = saved_details(user_id=request.user.pk, payout_id=form.cleaned_data["saved"])
        # A form already used (a double submit whose first request has committed) goes
        # straight to the service, which replays the first withdrawal; the preview would
        # judge it against the balance that withdrawal already lowered.
        if form_already_used(user_id=request.user.pk, form=form) or not preview_problems(
            form, user=request.user, terms=terms
        ):
            data = form.cleaned_data
            try:
                withdrawal = withdrawal_request(
                    user=request.user,
                    amount=data["amount"],
                    method=data["method"],
                    details=form.payout_details(),
                    form_key=data.get("form_key") or None,
                )
            except IdempotencyKeyInUse:
                messages.info(request, "That withdrawal is already being processed; it appears below.")
                return redirect("/wallet/payouts/")
            except IdempotencyKeyReused:
                form.renew_key(new_form_key())
                form.add_error(
                    None,
                    "This form was already used for another withdrawal. Check your payouts, "
                    "then send the form again if you still want this one.",
                )
            except DomainError as exc:
                attach_service_error(form, exc)
            else:
                verb = "was already requested" if withdrawal.replayed else "requested"
                messages.success(
                    request,
                    f"Withdrawal of {euro(withdrawal.amount)} to {withdrawal.destination_masked} {verb}.",
                )
                return redirect("/wallet/payouts/")
        status = 422
        form.describe_errors()
    # The amount to suggest: everything that may be withdrawn now, when that reaches the minimum.
    suggestion = terms.most if terms.most >= terms.minimum else None
    form.fields["amount"].widget.attrs["placeholder"] = format_amount(suggestion) if suggestion else ""
    context = {
        "nav": "withdraw",
        "form": form,
        "balances": balances,
        "terms": {
            "minimum": euro(terms.minimum),
            "limit": euro(terms.limit),
            "remaining": euro(terms.remaining),
            "can_withdraw": suggestion is not None,
        },
        "saved": saved,
    }
    return render(request, "portal/withdraw.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def payout_cancel(request, payout_id: uuid.UUID):
    """Cancel a requested withdrawal: a confirmation page, then ``payouts.services.payout_cancel``."""
    payout = queries.payout_of(user_id=request.user.pk, payout_id=payout_id)
    if payout is None:
        raise Http404("No such payout.")
    if request.method == "POST":
        try:
            cancelled = payout_cancel_service(payout_id=payout.pk, user_id=request.user.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"Withdrawal of {euro(cancelled.amount)} cancelled: the amount is available again."
            )
        return redirect(f"/wallet/payouts/{payout.pk}/")
    context = {"nav": "payouts", "payout": _payout_row(payout)}
    return render(request, "portal/payout_cancel.html", context)
