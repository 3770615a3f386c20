"""Hostile input: whatever a client sends, the API refuses it in the envelope, writes
nothing, and never answers 5xx.

Every write endpoint gets its valid body with one field replaced at a time by values of
the wrong type, text with NUL and control characters, amounts in every form the schema
does not allow (exponents, other scripts' digits, signs, underscores, spaces, too many
places, too many digits, NaN and Infinity), bad ids and dates; then bodies that are not
acceptable as a whole (nested 3,000 levels deep, larger than the limit, not JSON, not
UTF-8, not an object, another media type). Every list endpoint gets the same kinds of
values in each of its query parameters. After each request the row count of every
table and the sum of every wallet balance are compared with what they were: a refusal
that wrote something fails the test as surely as a 500.

Each test runs all the cases of one endpoint (or one list) and reports every failure at
once, one line each.
"""

import functools
import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.support.ibans import VALID_IBAN
from tests.world import build_world

# --- what to send -----------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text put into the body as it is (numbers Python would rewrite, NaN, escapes)."""

    text: str


DEEP = 3000
NOT_NUMBERS = [None, True, False, [], ["x"], {}, {"x": "y"}]
WRONG_TYPES = [None, True, 12345, Raw("1.5"), [], {"x": "y"}, Raw("NaN")]
HUGE_TEXT = "x" * 10_000
NUL_AND_LENGTH = ["\x00", "a\x00b", HUGE_TEXT]
CONTROL_TEXT = ["a\nb", "a\tb", "a\u0007b", "a\u202eb", "a\u2028b", "\ufeffa", Raw('"a\\ud800b"')]
PADDED = ["  padded-x  ", "trail ", "\u3000wide"]
NESTED_VALUE = Raw("[" * 40 + "]" * 40)

MONEY_STRINGS = [
    "1_000", "+10.00", ".5", "5.", " 10.00 ", "10\u00a0", "１０", "١٠", "1.5E1", "1E-2", "10.00E0", "-0.00", "-10.00",
    "10.123", "10,00", "0x10", "99999999999", "NaN", "Infinity", "-Infinity", "", "€10", "1e400", "1" * 5000,
]  # fmt: skip
MONEY_NUMBERS = [
    Raw("1.5E1"), Raw("1E-2"), Raw("10.00E0"), Raw("1e400"), Raw("-0.00"), Raw("-1"), Raw("10.001"), Raw("1e16"),
    Raw("12345678901"), Raw("1" + "0" * 400), Raw("0." + "1" * 400), Raw("-Infinity"),
]  # fmt: skip
ID = "6f1c1a2e-9c1d-4d2e-8e55-0f6b1f0e3c11"
BAD_UUIDS = [
    1, "1", f"urn:uuid:{ID}", f"{{{ID}}}", ID.replace("-", ""), f"{ID} ", ID.upper().replace("F", "Ｆ"),
    "00000000-0000-0000-0000-00000000000g", "\x00",
]  # fmt: skip
BAD_DATES = [
    "20301121",
    "2030-W47-1",
    "２０３０-１１-２１",
    "2030-02-30",
    20301121,
    "2030-11-21T00:00:00",
    "2030-11-21 ",
]
BAD_BOOLS = ["yes", "true", "false", 1, 0, "on", None]
BAD_DATETIMES = [
    "2030-11-21T10:15:00", "2030-11-21 10:15:00Z", "20301121T101500Z", 1764000000, "2030-11-31T10:15:00Z",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2030-11-21T10:15:00Z ", "２０３０-11-21T10:15:00Z",
]  # fmt: skip
BAD_EMAILS = [12345, "a\x00b@example.com", "a\nb@example.com", '"a\u0007b"@example.com', "x" * 300 + "@example.com",
              "not-an-email"]  # fmt: skip


def _choice_values(valid: str) -> list:
    return [1, valid.upper(), f" {valid}", f"{valid}\x00", f"{valid}\n", [valid]]


def cases(kind: str, valid=None) -> list:
    """The hostile values for one field of a kind."""
    if kind == "money":
        return [*NOT_NUMBERS, *NUL_AND_LENGTH, *MONEY_STRINGS, *MONEY_NUMBERS, Raw("NaN"), NESTED_VALUE]
    if kind in {"text", "text_blank_ok"}:
        return [*WRONG_TYPES, *NUL_AND_LENGTH, *CONTROL_TEXT, *PADDED, NESTED_VALUE] + ([""] if kind == "text" else [])
    if kind == "trimmed_text":  # trimmed by design (an account holder): only what no trim can fix
        return [*WRONG_TYPES, *NUL_AND_LENGTH, *CONTROL_TEXT, "", "   "]
    if kind == "secret":  # any string is a possible password: only types and NUL
        return [*WRONG_TYPES, "\x00"]
    if kind == "email":
        return [*WRONG_TYPES, *BAD_EMAILS, NESTED_VALUE]
    if kind == "uuid":
        return [*WRONG_TYPES, *BAD_UUIDS, NESTED_VALUE]
    if kind == "date":
        return [*WRONG_TYPES, *BAD_DATES, NESTED_VALUE]
    if kind == "bool":
        return [*[v for v in WRONG_TYPES if not isinstance(v, bool)], *BAD_BOOLS, NESTED_VALUE]
    if kind == "choice":
        return [*WRONG_TYPES, *_choice_values(valid), NESTED_VALUE]
    if kind == "object":
        return [None, True, 12345, "x", Raw("1.5"), [], ["x"], Raw("NaN")]
    if kind == "signed_money":  # a negative amount is meaningful (a debit)
        return [value for value in cases("money") if value not in ("-10.00", Raw("-1"))]
    if kind == "money_or_null":  # null is meaningful (e.g. "everything left")
        return [value for value in cases("money") if value is not None]
    if kind == "datetime":
        return [*[v for v in WRONG_TYPES if v is not None], *BAD_DATETIMES, NESTED_VALUE]
    if kind == "uuid_list":
        return [None, True, 12345, "x", {"x": "y"}, [], [1], [None], ["not-a-uuid"], [ID, "\x00"], Raw("NaN")]
    if kind == "items":  # a batch: the list itself (each item is judged on its own, inside a 200)
        return [None, True, 12345, "x", {"x": "y"}, [], Raw("[" + ",".join(["{}"] * 1001) + "]"), Raw("NaN")]
    raise AssertionError(kind)


def body_text(body: dict, path: str, value) -> str:
    """``body`` as JSON with the field at dotted ``path`` set to ``value``."""
    marker = f"__hostile_{uuid.uuid4().hex}__"
    data = json.loads(json.dumps(body))
    *parents, name = path.split(".")
    target = data
    for parent in parents:
        target = target[parent]
    target[name] = marker
    text = json.dumps(data)
    replacement = value.text if isinstance(value, Raw) else json.dumps(value)
    return text.replace(json.dumps(marker), replacement)


ANY = "any"  # valid JSON with something the API ignores: accepted or refused, never a 5xx


def bad_bodies(body: dict) -> list[tuple[str, bytes, str, object]]:
    """(label, bytes, content type, expected status) for bodies judged as a whole."""
    valid = json.dumps(body)
    js = "application/json"
    return [
        ("deep array", ("[" * DEEP + "]" * DEEP).encode(), js, 422),
        ("deep object", ('{"a":' * DEEP + "1" + "}" * DEEP).encode(), js, 422),
        ("deep array, unclosed", ("[" * DEEP).encode(), js, 422),
        ("deep inside a valid body", (valid[:-1] + ', "extra": ' + "[" * 40 + "]" * 40 + "}").encode(), js, 422),
        ("not JSON", b"{", js, 422),
        ("missing value", b'{"a": }', js, 422),
        ("trailing garbage", (valid + "x").encode(), js, 422),
        ("two documents", (valid + valid).encode(), js, 422),
        ("single quotes", valid.replace('"', "'").encode(), js, 422),
        ("a byte-order mark", ("\ufeff" + valid).encode(), js, 422),
        ("not UTF-8", b'{"a": "\xff\xfe"}', js, 422),
        ("UTF-16 declared, UTF-8 sent", b'{"a": "\xc3\xa9"}', "application/json; charset=utf-16", 422),
        ("a huge integer", b'{"a": ' + b"9" * 5000 + b"}", js, 422),
        ("NaN at the top", b"NaN", js, 422),
        ("a list", b"[]", js, 422),
        ("a list of the body", f"[{valid}]".encode(), js, 422),
        ("a string", b'"x"', js, 422),
        ("a number", b"1", js, 422),
        ("null", b"null", js, 422),
        ("whitespace only", b"   ", js, 422),
        ("a NUL byte", b"\x00", js, 422),
        ("plain text", valid.encode(), "text/plain", 415),
        ("a form", b"a=1&b=2", "application/x-www-form-urlencoded", 415),
        ("multipart", b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x", 415),
        ("XML", b"<a/>", "application/xml", 415),
        ("an unknown charset", valid.encode(), "application/json; charset=does-not-exist", ANY),
        ("brackets in a string do not count", (valid[:-1] + ', "extra": "' + "[" * DEEP + '"}').encode(), js, ANY),
        ("a key with NUL", (valid[:-1] + ', "a\\u0000": 1}').encode(), js, ANY),
    ]


# --- where to send it -------------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    who: str  # anonymous, alice, admin
    body: dict | None
    fields: dict[str, str] = field(default_factory=dict)  # dotted field -> kind
    choices: dict[str, str] = field(default_factory=dict)  # choice field -> its valid value
    ok: tuple[int, ...] = (200, 201)


def endpoints(w) -> list[Endpoint]:
    from users.services import password_reset_token

    today = timezone.now().date()
    pending_ext = w.partner_purchases["pending"].external_id
    offer_merchant = w.extra_merchant
    payout_body = {"amount": "10.00", "method": "bank_transfer", "details": {"iban": VALID_IBAN, "account_holder": "A"}}
    payout_fields = {"amount": "money", "method": "choice", "details": "object", "details.iban": "text",
                     "details.account_holder": "trimmed_text"}  # fmt: skip
    card_body = {"amount": "10.00", "method": "card", "details": {"card_token": "tok_4242"}}
    return [
        Endpoint("register", "post", "/api/v1/users", "anonymous",
                 {"email": "new-hostile@example.com", "password": "Str0ng!Pass"},
                 {"email": "email", "password": "secret"}),
        Endpoint("login", "post", "/api/v1/auth/login", "anonymous",
                 {"email": w.alice.email, "password": "Str0ng!Pass"}, {"email": "secret", "password": "secret"}),
        Endpoint("refresh", "post", "/api/v1/auth/refresh", "anonymous",
                 {"refresh_token": w.refresh_token}, {"refresh_token": "text"}),
        Endpoint("merchant create", "post", "/api/v1/merchants", "admin",
                 {"name": "Hostile Shop", "default_cashback_percentage": "5.00", "active": True},
                 {"name": "text", "default_cashback_percentage": "money", "active": "bool"}),
        Endpoint("merchant status", "patch", f"/api/v1/merchants/{w.merchant.pk}/status", "admin",
                 {"status": "inactive"}, {"status": "choice"}, {"status": "inactive"}),
        Endpoint("offer create", "post", "/api/v1/offers", "admin",
                 {"merchant_id": str(offer_merchant.pk), "cashback_type": "percent", "cashback_value": "5.00",
                  "start_date": str(today), "end_date": str(today + timedelta(days=30)), "monthly_cap": "50.00"},
                 {"merchant_id": "uuid", "cashback_type": "choice", "cashback_value": "money", "start_date": "date",
                  "end_date": "date", "monthly_cap": "money"}, {"cashback_type": "percent"}),
        Endpoint("offer status", "patch", f"/api/v1/offers/{w.offer.pk}/status", "admin",
                 {"status": "inactive"}, {"status": "choice"}, {"status": "inactive"}),
        Endpoint("purchase create", "post", "/api/v1/purchases", "alice",
                 {"external_id": "hostile-1", "user_id": str(w.alice.pk), "merchant_id": str(w.merchant.pk),
                  "amount": "25.00", "currency": "EUR"},
                 {"external_id": "text", "user_id": "uuid", "merchant_id": "uuid", "amount": "money",
                  "currency": "text"}),
        Endpoint("payout create", "post", "/api/v1/users/payouts", "alice", payout_body, payout_fields,
                 {"method": "bank_transfer"}),
        Endpoint("payout create by card", "post", "/api/v1/users/payouts", "alice", card_body,
                 {"details.card_token": "text"}),
        # the alias runs the same serializer and service: its amount and its body as a whole
        Endpoint("withdraw", "post", "/api/v1/users/wallet/withdraw", "alice", payout_body, {"amount": "money"}),
        Endpoint("payout process", "patch", f"/api/v1/admin/payouts/{w.payouts['requested'].pk}/process", "admin",
                 {"status": "processing", "external_reference": "ref-1"},
                 {"status": "choice", "external_reference": "text_blank_ok"}, {"status": "processing"}),
        Endpoint("payout fail", "patch", f"/api/v1/admin/payouts/{w.payouts['requested'].pk}/process", "admin",
                 {"status": "failed", "failure_reason": "bank said no"}, {"failure_reason": "text_blank_ok"}),
        Endpoint("flag set", "put", "/api/v1/feature-flags/hostile_flag", "admin",
                 {"enabled": True, "scope_type": "user", "scope_id": str(w.alice.pk), "description": "d"},
                 {"enabled": "bool", "scope_type": "choice", "scope_id": "uuid", "description": "text_blank_ok"},
                 {"scope_type": "user"}),
        Endpoint("password change", "post", "/api/v1/users/me/password", "alice",
                 {"current_password": "Str0ng!Pass", "new_password": "N3w!Passw0rd"},
                 {"current_password": "secret", "new_password": "secret"}, ok=(204,)),
        Endpoint("password reset", "post", "/api/v1/auth/password-reset", "anonymous",
                 {"email": w.alice.email}, {"email": "secret"}, ok=(202,)),
        Endpoint("password reset confirm", "post", "/api/v1/auth/password-reset/confirm", "anonymous",
                 {"token": password_reset_token(w.alice), "new_password": "N3w!Passw0rd"},
                 {"token": "text", "new_password": "secret"}, ok=(204,)),
        Endpoint("merchant update", "patch", f"/api/v1/merchants/{w.merchant.pk}", "admin",
                 {"name": "Hostile Renamed Shop", "default_cashback_percentage": "4.00"},
                 {"name": "text", "default_cashback_percentage": "money"}),
        Endpoint("offer update", "patch", f"/api/v1/offers/{w.offer.pk}", "admin",
                 {"end_date": str(today + timedelta(days=60)), "monthly_cap": "600.00", "cashback_value": "9.00",
                  "max_cashback_per_purchase": "50.00"},
                 {"end_date": "date", "monthly_cap": "money", "cashback_value": "money",
                  "max_cashback_per_purchase": "money_or_null"}),
        Endpoint("wallet adjustment", "post", "/api/v1/admin/wallet-adjustments", "admin",
                 {"user_id": str(w.alice.pk), "amount": "1.00", "reason": "Goodwill"},
                 {"user_id": "uuid", "amount": "signed_money", "reason": "text"}, ok=(201,)),
        Endpoint("partner create", "post", "/api/v1/partners", "admin",
                 {"name": "Hostile Network", "merchant_ids": [str(w.merchant.pk)], "active": True},
                 {"name": "text", "merchant_ids": "uuid_list", "active": "bool"}, ok=(201,)),
        Endpoint("partner update", "patch", f"/api/v1/partners/{w.partner.pk}", "admin",
                 {"name": "Hostile Renamed", "merchant_ids": [str(w.merchant.pk)], "active": True},
                 {"name": "text", "merchant_ids": "uuid_list", "active": "bool"}),
        Endpoint("api key create", "post", f"/api/v1/partners/{w.partner.pk}/api-keys", "admin",
                 {"name": "hostile key", "expires_at": "2031-01-01T00:00:00Z"},
                 {"name": "text", "expires_at": "datetime"}, ok=(201,)),
        Endpoint("partner purchase create", "post", "/api/v1/partner/purchases", "partner",
                 {"external_id": "hostile-p-1", "user_id": str(w.alice.pk), "merchant_id": str(w.merchant.pk),
                  "amount": "25.00", "currency": "EUR", "purchased_at": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")},
                 {"external_id": "text", "user_id": "uuid", "merchant_id": "uuid", "amount": "money",
                  "currency": "text", "purchased_at": "datetime"}, ok=(201,)),
        Endpoint("partner batch", "post", "/api/v1/partner/purchases/batch", "partner",
                 {"items": [{"external_id": "hostile-b-1", "user_id": str(w.alice.pk),
                             "merchant_id": str(w.merchant.pk), "amount": "25.00", "currency": "EUR"}]},
                 {"items": "items"}),
        Endpoint("partner decline", "post", f"/api/v1/partner/purchases/{pending_ext}/decline", "partner",
                 {"reason": "Cancelled order"}, {"reason": "text"}),
        Endpoint("partner return", "post", f"/api/v1/partner/purchases/{pending_ext}/returns", "partner",
                 {"return_id": "hostile-r-1", "amount": "5.00", "reason": "Returned"},
                 {"return_id": "text", "amount": "money_or_null", "reason": "text"}),
        # WEBHOOK_ALLOWED_HOSTS names 127.0.0.1 here (``world``): its literal address is
        # checked without a lookup, and nothing is ever sent to it.
        Endpoint("webhook endpoint create", "post", "/api/v1/partner/webhook-endpoints", "partner",
                 {"url": "http://127.0.0.1:9/hooks", "event_types": ["purchase.confirmed"]},
                 {"url": "text"}, ok=(201,)),
        Endpoint("notification settings", "patch", "/api/v1/users/me/notification-settings", "alice",
                 {"email_enabled": False}, {"email_enabled": "bool"}),
    ]  # fmt: skip


BODYLESS = [
    ("post", "/api/v1/purchases/{id}/confirmation"),
    ("patch", "/api/v1/purchases/{id}/reverse"),
    ("post", "/api/v1/purchases/{id}/reverse"),
    ("delete", "/api/v1/feature-flags/{id}"),
]
# Body-less operations whose path names more than one kind of id: probed by the admin,
# the partner or the owner (``test_other_body_less_operations_...``).
OTHER_BODYLESS = [
    ("delete", "/api/v1/partners/{partner_id}/api-keys/{key_id}", "admin"),
    ("post", "/api/v1/partners/{partner_id}/postback-secret", "admin"),
    ("post", "/api/v1/partner/purchases/{external_id}/approve", "partner"),
    ("post", "/api/v1/users/payouts/{payout_id}/cancel", "alice"),
    ("delete", "/api/v1/partner/webhook-endpoints/{endpoint_id}", "partner"),
    ("post", "/api/v1/partner/webhook-deliveries/{delivery_id}/retry", "partner"),
    # form-encoded and signed: a JSON body is a 415, a form without a signature a 401
    ("post", "/api/v1/postbacks/{partner_id}", "anonymous"),
]
BAD_PATH_IDS = ["%00", "1", "not-a-uuid", ID.replace("-", ""), "%EF%BC%91", "x" * 300, "..%2F..%2Fetc", "%20", "a%0Ab"]


# --- how to tell that nothing happened --------------------------------------------


def _state_sql() -> str:
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and model._meta.app_label not in {"sessions", "admin"}
    )
    counts = ", ".join(f"(SELECT count(*) FROM {connection.ops.quote_name(t)})" for t in tables)
    from wallets.models import Wallet

    wallet = connection.ops.quote_name(Wallet._meta.db_table)
    sums = ", ".join(
        f"(SELECT coalesce(sum({name}), 0) FROM {wallet})"
        for name in ("pending_balance", "available_balance", "paid_balance", "owed_balance")
    )
    return f"SELECT {counts}, {sums}"


def snapshot() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(_state_sql())
        return cursor.fetchone()


@dataclass
class Probe:
    """Sends requests, checks each answer, and keeps one line per failure.

    Each write runs in a savepoint that is rolled back after the database state has
    been read, so a case that was wrongly accepted is reported and leaves nothing
    behind that would make the next case fail for another reason (a name taken, a
    balance spent). Reads are checked once, by ``assert_clean``.
    """

    clients: dict
    failures: list = field(default_factory=list)
    sent: int = 0
    state: tuple | None = None

    def send(self, label, who, method, path, data, content_type="application/json", expect=None, **extra):
        """One write request that must be refused (``expect``: its status; ANY: 2xx allowed)."""
        self.state = self.state or snapshot()
        with transaction.atomic():
            response = getattr(self.clients[who], method)(path, data=data, content_type=content_type, **extra)
            changed = snapshot() != self.state
            transaction.set_rollback(True)
        self.sent += 1
        problem = self.judge(response, expect)
        if changed and expect is not ANY:
            problem = (problem + "; " if problem else "") + "the database changed"
        if problem:
            shown = data if len(data) < 120 else f"{data[:100]!r}…"
            self.failures.append(
                f"{label}: {method.upper()} {path[:120]} {shown!r} → {response.status_code}: {problem}"
            )
        return response

    def get(self, label, who, path, params=None):
        """A read with hostile parameters: its answer, or a refusal in the envelope."""
        self.state = self.state or snapshot()
        response = self.clients[who].get(path, params)
        self.sent += 1
        problem = self.judge(response, ANY)
        if problem:
            self.failures.append(f"{label}: GET {path[:160]} → {response.status_code}: {problem}")
        return response

    @staticmethod
    def judge(response, expect) -> str | None:
        status = response.status_code
        if status >= 500:
            return f"server error {response.content[:200]!r}"
        if expect is ANY and status < 400:
            return None
        if expect not in (None, ANY) and status != expect:
            return f"expected {expect}"
        if status < 400:
            return "accepted"
        if not response.get("Content-Type", "").startswith("application/json"):
            return f"not JSON ({response.get('Content-Type')})"
        try:
            body = response.json()
            error = body["error"]
            assert set(body) == {"error"}
            assert set(error) == {"code", "message", "details"}
            assert isinstance(error["code"], str) and error["code"]
            assert isinstance(error["message"], str) and error["message"]
            assert isinstance(error["details"], dict)
        except (ValueError, KeyError, TypeError, AssertionError):
            return f"not the error envelope: {response.content[:200]!r}"
        return None

    def assert_clean(self):
        if self.state is not None and snapshot() != self.state:
            self.failures.append("the database changed")
        report = "\n".join(self.failures[:80])
        assert not self.failures, f"{len(self.failures)} of {self.sent} requests misbehaved:\n{report}"


# --- fixtures -------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """One world for the whole module, rolled back at its end; each test runs in a
    savepoint inside it, so whatever a test writes is gone before the next."""
    from merchants.tests.factories import MerchantFactory
    from users.services import auth_login

    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast_hashing:
        w = build_world()
        w.extra_merchant = MerchantFactory()
        w.refresh_token = auth_login(email=w.alice.email, password="Str0ng!Pass").refresh_token
        yield w
        transaction.set_rollback(True)


@pytest.fixture
def world(module_world, db, settings):
    settings.AUTH_THROTTLE_RATE = "off"
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return module_world


def _client(user=None) -> APIClient:
    client = APIClient()
    client.raise_request_exception = False  # an unhandled error is a 500 to report, not a crash
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.fixture
def probe(world):
    partner = APIClient()
    partner.raise_request_exception = False
    partner.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.partner_key}")
    clients = {"anonymous": _client(), "alice": _client(world.alice), "admin": _client(world.admin), "partner": partner}
    return Probe(clients)


ENDPOINT_NAMES = [
    "register", "login", "refresh", "merchant create", "merchant status", "offer create", "offer status",
    "purchase create", "payout create", "payout create by card", "withdraw", "payout process", "payout fail",
    "flag set", "password change", "password reset", "password reset confirm", "partner create", "partner update",
    "api key create", "partner purchase create", "partner batch", "partner decline", "partner return",
    "webhook endpoint create", "notification settings", "wallet adjustment", "merchant update", "offer update",
]  # fmt: skip


# Every body case goes to the anonymous endpoints and to one of each kind of view; the
# others, which share the parser and the view code, get the core of them.
FULL_BODY_CASES = {"register", "login", "refresh", "purchase create", "payout create", "flag set", "merchant status"}
CORE_BODY_CASES = {"deep array", "deep object", "deep inside a valid body", "not JSON", "not UTF-8", "a huge integer",
                   "a list", "null", "a NUL byte", "plain text", "brackets in a string do not count"}  # fmt: skip


def _endpoint(world, name: str) -> Endpoint:
    return next(e for e in endpoints(world) if e.name == name)


# --- the tests ------------------------------------------------------------------


def test_every_write_endpoint_is_covered(world):
    # given the write operations the schema publishes
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    writes = {
        (method, path.rstrip("/"))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in {"post", "put", "patch", "delete"}
    }
    # then each one is probed here, with a body or as a body-less operation
    covered = {(e.method, _template(e.path, world)) for e in endpoints(world)}
    covered |= {(method, path.replace("{id}", "{" + _param(path) + "}")) for method, path in BODYLESS}
    covered |= {(method, path) for method, path, _ in OTHER_BODYLESS}
    assert writes <= covered, sorted(writes - covered)


def _param(path: str) -> str:
    return "key" if "feature-flags" in path else "purchase_id"


def _template(path: str, world) -> str:
    replacements = {
        str(world.merchant.pk): "{merchant_id}",
        str(world.offer.pk): "{offer_id}",
        str(world.payouts["requested"].pk): "{payout_id}",
        str(world.partner.pk): "{partner_id}",
        world.partner_purchases["pending"].external_id: "{external_id}",
        "hostile_flag": "{key}",
    }
    for value, name in replacements.items():
        path = path.replace(value, name)
    return path


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_each_write_endpoint_refuses_hostile_input_and_writes_nothing(name, world, probe, settings):
    endpoint = _endpoint(world, name)
    # given: the body every case starts from is accepted (then undone), so each case is
    # refused for what it changes
    with transaction.atomic():
        response = getattr(probe.clients[endpoint.who], endpoint.method)(endpoint.path, endpoint.body, format="json")
        transaction.set_rollback(True)
    assert response.status_code in endpoint.ok, response.content
    # every field, one hostile value at a time
    for path, kind in endpoint.fields.items():
        for value in cases(kind, endpoint.choices.get(path)):
            data = body_text(endpoint.body, path, value)
            probe.send(f"{path}={value!r:.60}", endpoint.who, endpoint.method, endpoint.path, data)
    # bodies that are not acceptable as a whole
    for label, data, content_type, expect in bad_bodies(endpoint.body):
        if name in FULL_BODY_CASES or label in CORE_BODY_CASES:
            probe.send(
                label, endpoint.who, endpoint.method, endpoint.path, data, content_type=content_type, expect=expect
            )
    # a body over the limit (a small one here; the shipped one below)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    big = json.dumps({**endpoint.body, "padding": "x" * 5000})
    response = probe.send("over the limit", endpoint.who, endpoint.method, endpoint.path, big, expect=413)
    assert response.json()["error"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "message": "The request body is larger than 4096 bytes.",
        "details": {"max_bytes": 4096},
    }
    probe.assert_clean()


def test_a_body_over_the_default_limit_is_a_413(world, probe, settings):
    # given the shipped limit (REQUEST_BODY_MAX_BYTES, 2.5 MiB)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    big = json.dumps({"email": "a@example.com", "password": "x" * (limit + 1)})
    # when
    response = probe.send("2.5 MiB", "anonymous", "post", "/api/v1/users", big, expect=413)
    # then
    probe.assert_clean()
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_deep_nesting_is_a_422_in_the_envelope_for_anonymous_callers_too(world, probe):
    for path in ("/api/v1/users", "/api/v1/auth/login", "/api/v1/auth/refresh"):
        response = probe.send("deep", "anonymous", "post", path, "[" * DEEP + "]" * DEEP, expect=422)
        assert response.json()["error"]["details"]["violations"][0]["field"] == "body"
    probe.assert_clean()


@pytest.mark.parametrize(("method", "template"), BODYLESS)
def test_body_less_operations_refuse_bad_ids_and_ignore_hostile_bodies(method, template, world, probe):
    for bad in BAD_PATH_IDS:
        probe.send(f"id {bad}", "admin", method, template.format(id=bad), "{}")
    unknown = template.format(id=str(uuid.uuid4()) if "purchases" in template else "no_such_flag")
    for label, data, content_type, _ in bad_bodies({"a": 1}):
        probe.send(label, "admin", method, unknown, data, content_type=content_type)
    probe.assert_clean()


@pytest.mark.parametrize(("method", "template", "who"), OTHER_BODYLESS)
def test_other_body_less_operations_refuse_bad_ids_and_ignore_hostile_bodies(method, template, who, world, probe):
    # ids that name nothing: a body-less operation must refuse them whatever the body
    real = {
        "partner_id": str(uuid.uuid4()),
        "key_id": str(uuid.uuid4()),
        "external_id": f"unknown-{uuid.uuid4()}",
        "payout_id": str(uuid.uuid4()),
        "endpoint_id": str(uuid.uuid4()),
        "delivery_id": str(uuid.uuid4()),
    }
    names = [name for name in real if "{" + name + "}" in template]
    for name in names:
        for bad in BAD_PATH_IDS:
            probe.send(f"{name} {bad}", who, method, template.format(**{**real, name: bad}), "{}")
    for label, data, content_type, _ in bad_bodies({"a": 1}):
        probe.send(label, who, method, template.format(**real), data, content_type=content_type)
    probe.assert_clean()


@pytest.mark.parametrize("name", ["merchant status", "offer status", "payout process", "flag set"])
def test_bad_ids_in_the_path_are_refused(name, world, probe):
    endpoint = _endpoint(world, name)
    real = endpoint.path.split("/")[-2] if endpoint.path.endswith(("status", "process")) else "hostile_flag"
    for bad in BAD_PATH_IDS + ["A", "a" * 101, "a-b"]:
        probe.send(f"id {bad}", endpoint.who, endpoint.method, endpoint.path.replace(real, bad), endpoint.body)
    probe.assert_clean()


def test_headers_a_server_could_deliver_do_not_break_a_payout(world, probe):
    endpoint = _endpoint(world, "payout create")
    data = json.dumps({**endpoint.body, "amount": "0.00"})  # refused after the header is read
    for key in ["", " ", "x" * 256, "\tkey", "key\t", "cl\u00e9", "\x00", "a\x00b", "%00"]:
        probe.send(f"Idempotency-Key {key!r}", "alice", "post", endpoint.path, data, HTTP_IDEMPOTENCY_KEY=key)
    probe.assert_clean()


# --- query parameters of the lists ----------------------------------------------

# Who reads each list; its query parameters come from the schema, so a new filter is
# probed as soon as it is published (and a new list fails the coverage test below).
LISTS = {
    "/api/v1/merchants": "admin",
    "/api/v1/offers": "alice",
    "/api/v1/offers/active": "alice",
    "/api/v1/purchases": "admin",
    "/api/v1/users/me/purchases": "alice",
    "/api/v1/users/payouts": "alice",
    "/api/v1/admin/payouts": "admin",
    "/api/v1/users/me/wallet/transactions": "alice",
    "/api/v1/feature-flags": "admin",
    "/api/v1/admin/audit-logs": "admin",
    "/api/v1/partners": "admin",
    "/api/v1/partner/purchases": "partner",
    "/api/v1/partner/webhook-endpoints": "partner",
    "/api/v1/partner/webhook-deliveries": "partner",
}
EVALUATE = "/api/v1/feature-flags/purchase_auto_confirm/evaluate"
EVALUATE_TEMPLATE = "/api/v1/feature-flags/{key}/evaluate"
KEYS_TEMPLATE = "/api/v1/partners/{partner_id}/api-keys"
POSTBACK_TEMPLATE = "/api/v1/postbacks/{partner_id}"


@functools.cache
def query_parameters() -> dict[str, list[str]]:
    """The query parameters of every GET operation in the schema, by path."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    found: dict[str, list[str]] = {}
    for path, operations in schema["paths"].items():
        names = [p["name"] for p in operations.get("get", {}).get("parameters", []) if p["in"] == "query"]
        if names:
            found[path.rstrip("/")] = sorted(names)
    return found


def test_every_list_and_query_parameter_is_covered():
    assert set(query_parameters()) == {*LISTS, EVALUATE_TEMPLATE, KEYS_TEMPLATE, POSTBACK_TEMPLATE}


QUERY_VALUES = [
    "\x00", "a\x00b", "\n", " ", "１０", "١٠", "+5", "1_0", "-1", "9" * 5000, "x" * 3000, "\u202e", "true ", "yes",
    f"{{{ID}}}", "2030-W47-1", "%", "' OR 1=1 --", "😀",
]  # fmt: skip
RAW_QUERY_VALUES = ["%00", "%ED%A0%80", "%FF", "%zz"]
PAGE_VALUES = ["１０", "١٠", "+5", " 5", "1_0", "5.0", "1e2", "\x00", "-1", "9" * 5000]


def _query_cases(probe, who, path, params):
    for param in params:
        for value in QUERY_VALUES:
            probe.get(f"{param}={value!r:.40}", who, path, {param: value})
        for raw in RAW_QUERY_VALUES:
            probe.get(f"{param}={raw}", who, f"{path}?{param}={raw}")


@pytest.mark.parametrize("path", list(LISTS))
def test_every_query_parameter_of_every_list_refuses_hostile_values(path, world, probe):
    who = LISTS[path]
    params = [name for name in query_parameters()[path] if name not in ("offset", "limit")]
    # filters: the answer, or a refusal in the envelope
    _query_cases(probe, who, path, params)
    # pagination: ASCII digits only, in range, else a 422 naming the parameter
    for param in ("offset", "limit"):
        for value in PAGE_VALUES:
            response = probe.get(f"{param}={value!r:.40}", who, path, {param: value})
            if response.status_code != 422 or response.json()["error"]["code"] != "VALIDATION_ERROR":
                probe.failures.append(f"{path}?{param}={value!r:.40} → {response.status_code}, not a 422")
            elif response.json()["error"]["details"]["violations"][0]["field"] != param:
                probe.failures.append(f"{path}?{param}={value!r:.40}: the violation names another field")
        for raw in RAW_QUERY_VALUES:
            probe.get(f"{param}={raw}", who, f"{path}?{param}={raw}")
    probe.assert_clean()


def test_query_parameters_of_a_flag_evaluation_refuse_hostile_values(world, probe):
    _query_cases(probe, "admin", EVALUATE, query_parameters()[EVALUATE_TEMPLATE])
    probe.assert_clean()


def test_query_parameters_of_a_partners_keys_and_of_postbacks_refuse_hostile_values(world, probe):
    keys = KEYS_TEMPLATE.format(partner_id=world.partner.pk)
    _query_cases(probe, "admin", keys, query_parameters()[KEYS_TEMPLATE])
    postback = POSTBACK_TEMPLATE.format(partner_id=world.partner.pk)
    _query_cases(probe, "anonymous", postback, query_parameters()[POSTBACK_TEMPLATE])
    probe.assert_clean()
