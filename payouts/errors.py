"""Payout domain errors (rendered by the shared exception handler)."""

from clicknback.errors import DomainError


class InsufficientBalance(DomainError):
    code = "INSUFFICIENT_BALANCE"
    http_status = 409
    default_message = "The available balance does not cover this payout."


class PayoutPolicyViolation(DomainError):
    code = "PAYOUT_POLICY_VIOLATION"
    http_status = 422
    default_message = "The payout breaks the payout policy."


class InvalidPayoutTransition(DomainError):
    code = "INVALID_PAYOUT_TRANSITION"
    http_status = 409
    default_message = "The payout cannot move to that status."


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    http_status = 422
    default_message = "This Idempotency-Key was already used with a different request body."


class IdempotencyKeyInUse(DomainError):
    code = "IDEMPOTENCY_KEY_IN_USE"
    http_status = 409
    default_message = "A request with this Idempotency-Key is still being processed; retry shortly."
