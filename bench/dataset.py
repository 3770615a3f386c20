"""The deterministic bench dataset, inserted set-wise by PostgreSQL itself.

Rows are generated with ``INSERT ... SELECT ... FROM generate_series`` (no Python loop,
no round trip per row), which loads the whole dataset in seconds. Ids are deterministic:
``bench_uuid(kind, n)`` turns a number into a UUID, so the load generator and the pgbench
scripts can name user n or merchant m without looking anything up.

Historical purchases are confirmed and dated before the current month (so monthly caps
start fresh); each has its cashback transaction (available) and the three ledger rows of
its life (pending +c at ingestion, pending -c and available +c at confirmation), and
each wallet's cached balances equal the sums of its ledger rows.
"""

import time
from dataclasses import dataclass

from bench.sqlgen import insert_select, table

USER, MERCHANT, OFFER, WALLET, PURCHASE, CASHBACK = 1, 2, 3, 4, 5, 6

BENCH_UUID_FUNCTION = """
CREATE OR REPLACE FUNCTION bench_uuid(kind integer, n bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ('b' || lpad(to_hex(kind), 7, '0') || '-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid $$
"""


def bench_uuid(kind: int, n: int) -> str:
    """Python twin of the SQL function ``bench_uuid``."""
    return f"b{kind:07x}-0000-4000-8000-{n:012x}"


@dataclass(frozen=True)
class Size:
    users: int = 10_000
    merchants: int = 100
    purchases: int = 200_000


def _drop_secondary_indexes(conn, tables: list[str]) -> list[str]:
    """Drop the indexes that back no constraint; return the statements that recreate them."""
    rows = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = ANY(%s::regclass[])"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [tables],
    ).fetchall()
    for name, _ in rows:
        conn.execute(f"DROP INDEX {name}")
    return [ddl for _, ddl in rows]


def seed(conn, size: Size) -> dict:
    """Insert the dataset into an empty, migrated database; return counts and timings."""
    from merchants.models import Merchant
    from offers.models import Offer
    from purchases.models import CashbackTransaction, Purchase
    from users.models import User
    from wallets.models import LedgerEntry, Wallet

    started = time.perf_counter()
    timings = {}

    def step(name: str, sql: str, params=None) -> None:
        t0 = time.perf_counter()
        conn.execute(sql, params or {})
        timings[name] = round(time.perf_counter() - t0, 2)

    big_tables = [table(Purchase), table(CashbackTransaction), table(LedgerEntry)]
    with conn.transaction():
        # The rows are consistent by construction: skip the per-row foreign-key triggers and
        # build the secondary indexes of the big tables once at the end instead of row by row.
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("SET LOCAL synchronous_commit = off")
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        conn.execute(BENCH_UUID_FUNCTION)
        indexes = _drop_secondary_indexes(conn, big_tables)
        step(
            "users",
            insert_select(
                User,
                {
                    "id": f"bench_uuid({USER}, n)",
                    "email": "'bench-user-' || n || '@bench.clicknback.test'",
                    "password": "'!bench-no-password'",
                    "role": "'user'",
                    "is_active": "true",
                    "is_staff": "false",
                    "is_superuser": "false",
                    "created_at": "now() - interval '400 days' + n * interval '1 second'",
                    "updated_at": "now()",
                },
                "FROM generate_series(1, %(users)s) AS n",
            ),
            {"users": size.users},
        )
        step(
            "merchants",
            insert_select(
                Merchant,
                {
                    "id": f"bench_uuid({MERCHANT}, n)",
                    "name": "'Bench Merchant ' || lpad(n::text, 4, '0')",
                    "default_cashback_percentage": "5.00",
                    "active": "true",
                    "created_at": "now() - interval '500 days' + n * interval '1 second'",
                    "updated_at": "now()",
                },
                "FROM generate_series(1, %(merchants)s) AS n",
            ),
            {"merchants": size.merchants},
        )
        step(
            "offers",
            insert_select(
                Offer,
                {
                    "id": f"bench_uuid({OFFER}, n)",
                    "merchant": f"bench_uuid({MERCHANT}, n)",
                    "cashback_type": "'percent'",
                    "cashback_value": "5.00",
                    "monthly_cap": "50.00",
                    "currency": "'EUR'",
                    "start_date": "current_date - 60",
                    "end_date": "current_date + 365",
                    "status": "'active'",
                    "created_at": "now() - interval '60 days' + n * interval '1 second'",
                    "updated_at": "now()",
                },
                "FROM generate_series(1, %(merchants)s) AS n",
            ),
            {"merchants": size.merchants},
        )
        # Purchase k: user (k-1) % U + 1, a merchant spread by a multiplier, an amount of
        # 100..200 EUR (5 % cashback is then exact to the cent), dated in the 330 days before
        # this month started.
        step(
            "purchases",
            insert_select(
                Purchase,
                {
                    "id": f"bench_uuid({PURCHASE}, k)",
                    "external_id": "'hist-' || k",
                    "user": f"bench_uuid({USER}, (k - 1) %% %(users)s + 1)",
                    "merchant": f"bench_uuid({MERCHANT}, (k * 37) %% %(merchants)s + 1)",
                    "offer": f"bench_uuid({OFFER}, (k * 37) %% %(merchants)s + 1)",
                    "amount": "(100 + k %% 101)::numeric(14, 2)",
                    "currency": "'EUR'",
                    "status": "'confirmed'",
                    "verification_attempts": "1",
                    "purchased_at": "ts",
                    "created_at": "ts",
                    "updated_at": "ts",
                },
                "FROM generate_series(1, %(purchases)s) AS k, LATERAL (SELECT date_trunc('month', now())"
                " - interval '1 second' - ((k * 7919) %% (330 * 86400)) * interval '1 second' AS ts) AS t",
            ),
            {"users": size.users, "merchants": size.merchants, "purchases": size.purchases},
        )
        step(
            "cashback",
            insert_select(
                CashbackTransaction,
                {
                    "id": f"bench_uuid({CASHBACK}, substr(p.external_id, 6)::bigint)",
                    "purchase": "p.id",
                    "user": "p.user_id",
                    "offer": "p.offer_id",
                    "amount": "round(p.amount * 0.05, 2)",
                    "currency": "'EUR'",
                    "status": "'available'",
                    "purchased_at": "p.purchased_at",
                    "created_at": "p.created_at",
                    "updated_at": "p.created_at",
                },
                f"FROM {table(Purchase)} AS p WHERE p.external_id LIKE 'hist-%%'",
            ),
        )
        step(
            "wallets",
            insert_select(
                Wallet,
                {
                    "id": f"bench_uuid({WALLET}, n)",
                    "user": f"bench_uuid({USER}, n)",
                    "currency": "'EUR'",
                    "pending_balance": "0",
                    "available_balance": "coalesce(c.total, 0)",
                    "paid_balance": "0",
                    "owed_balance": "0",
                    "created_at": "now() - interval '400 days'",
                    "updated_at": "now()",
                },
                f"FROM generate_series(1, %(users)s) AS n LEFT JOIN (SELECT user_id, sum(amount) AS total"
                f" FROM {table(CashbackTransaction)} GROUP BY user_id) AS c ON c.user_id = bench_uuid({USER}, n)",
            ),
            {"users": size.users},
        )
        step(
            "ledger",
            insert_select(
                LedgerEntry,
                {
                    "wallet": "w.id",
                    "bucket": "m.bucket",
                    "amount": "m.sign * c.amount",
                    "currency": "'EUR'",
                    "reason": "m.reason",
                    "source_type": "'purchase'",
                    "source_id": "c.purchase_id",
                    "actor_type": "m.actor_type",
                    "actor_id": "CASE WHEN m.actor_type = 'user' THEN c.user_id END",
                    "request_id": "''",
                    "created_at": "c.created_at + m.step * interval '1 minute'",
                },
                f"FROM {table(CashbackTransaction)} AS c JOIN {table(Wallet)} AS w ON w.user_id = c.user_id"
                " CROSS JOIN (VALUES (0, 'pending', 1, 'cashback_pending', 'user'),"
                " (1, 'pending', -1, 'cashback_confirmed', 'system'),"
                " (2, 'available', 1, 'cashback_confirmed', 'system'))"
                " AS m(step, bucket, sign, reason, actor_type)"
                " WHERE c.amount <> 0 ORDER BY c.created_at, m.step",
            ),
        )
        t0 = time.perf_counter()
        for ddl in indexes:
            conn.execute(ddl)
        timings["indexes"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM (ANALYZE)")
    conn.autocommit = False
    timings["vacuum_analyze"] = round(time.perf_counter() - t0, 2)
    return {
        "users": size.users,
        "merchants": size.merchants,
        "offers": size.merchants,
        "purchases": size.purchases,
        "seconds": round(time.perf_counter() - started, 2),
        "steps_s": timings,
    }


def insert_backlog(conn, *, size: Size, count: int, tag: str) -> dict:
    """``count`` pending purchases written exactly as ``purchase_ingest`` writes them.

    Each gets its pending cashback, the wallet's pending balance grows by it, one
    ``cashback_pending`` ledger row and one ``purchase.ingested`` audit row — so after the
    drain, ledger, audit and ``reconcile_wallets`` can be checked exactly.
    """
    from clicknback.audit.models import AuditLog
    from purchases.models import CashbackTransaction, Purchase
    from wallets.models import LedgerEntry, Wallet

    t0 = time.perf_counter()
    prefix = f"backlog-{tag}-"
    params = {"count": count, "users": size.users, "merchants": size.merchants, "prefix": prefix}
    with conn.transaction():
        conn.execute(
            insert_select(
                Purchase,
                {
                    "id": "gen_random_uuid()",
                    "external_id": "%(prefix)s || k",
                    "user": f"bench_uuid({USER}, (k * 7) %% %(users)s + 1)",
                    "merchant": f"bench_uuid({MERCHANT}, (k * 13) %% %(merchants)s + 1)",
                    "offer": f"bench_uuid({OFFER}, (k * 13) %% %(merchants)s + 1)",
                    "amount": "(20 + k %% 50)::numeric(14, 2)",
                    "currency": "'EUR'",
                    "status": "'pending'",
                    "next_attempt_at": "now()",
                    "purchased_at": "now()",
                    "created_at": "now()",
                    "updated_at": "now()",
                },
                "FROM generate_series(1, %(count)s) AS k",
            ),
            params,
        )
        batch = f"FROM {table(Purchase)} AS p WHERE p.external_id LIKE %(pattern)s"
        pattern = {"pattern": prefix.replace("_", "\\_") + "%"}
        conn.execute(
            insert_select(
                CashbackTransaction,
                {
                    "id": "gen_random_uuid()",
                    "purchase": "p.id",
                    "user": "p.user_id",
                    "offer": "p.offer_id",
                    "amount": "round(p.amount * 0.05, 2)",
                    "currency": "'EUR'",
                    "status": "'pending'",
                    "purchased_at": "p.purchased_at",
                    "created_at": "p.created_at",
                    "updated_at": "p.created_at",
                },
                batch,
            ),
            pattern,
        )
        conn.execute(
            f"UPDATE {table(Wallet)} AS w SET pending_balance = w.pending_balance + t.total, updated_at = now()"
            f" FROM (SELECT c.user_id, sum(c.amount) AS total FROM {table(CashbackTransaction)} AS c"
            f" JOIN {table(Purchase)} AS p ON p.id = c.purchase_id WHERE p.external_id LIKE %(pattern)s"
            " GROUP BY c.user_id) AS t WHERE w.user_id = t.user_id",
            pattern,
        )
        conn.execute(
            insert_select(
                LedgerEntry,
                {
                    "wallet": "w.id",
                    "bucket": "'pending'",
                    "amount": "c.amount",
                    "currency": "'EUR'",
                    "reason": "'cashback_pending'",
                    "source_type": "'purchase'",
                    "source_id": "p.id",
                    "actor_type": "'user'",
                    "actor_id": "p.user_id",
                    "request_id": "'bench-backlog'",
                    "created_at": "p.created_at",
                },
                f"FROM {table(Purchase)} AS p JOIN {table(CashbackTransaction)} AS c ON c.purchase_id = p.id"
                f" JOIN {table(Wallet)} AS w ON w.user_id = p.user_id"
                " WHERE p.external_id LIKE %(pattern)s AND c.amount <> 0",
            ),
            pattern,
        )
        conn.execute(
            insert_select(
                AuditLog,
                {
                    "id": "gen_random_uuid()",
                    "occurred_at": "p.created_at",
                    "actor_type": "'user'",
                    "actor_id": "p.user_id",
                    "action": "'purchase.ingested'",
                    "resource_type": "'purchase'",
                    "resource_id": "p.id::text",
                    "outcome": "'success'",
                    "details": "jsonb_build_object('external_id', p.external_id, 'merchant_id', p.merchant_id::text,"
                    " 'offer_id', p.offer_id::text, 'amount', p.amount::text, 'cashback_amount', c.amount::text)",
                    "request_id": "'bench-backlog'",
                },
                f"FROM {table(Purchase)} AS p JOIN {table(CashbackTransaction)} AS c ON c.purchase_id = p.id"
                " WHERE p.external_id LIKE %(pattern)s",
            ),
            pattern,
        )
    return {"count": count, "prefix": prefix, "seconds": round(time.perf_counter() - t0, 2)}


def check_backlog(conn, *, prefix: str) -> dict:
    """Each backlog purchase confirmed exactly once: its status, one ``purchase.confirmed``
    audit row, and the two ``cashback_confirmed`` ledger rows (pending -c, available +c)."""
    from clicknback.audit.models import AuditLog
    from purchases.models import CashbackTransaction, Purchase
    from wallets.models import LedgerEntry

    pattern = {"pattern": prefix.replace("_", "\\_") + "%"}
    ids = f"SELECT id FROM {table(Purchase)} WHERE external_id LIKE %(pattern)s"
    statuses = dict(
        conn.execute(
            f"SELECT status, count(*) FROM {table(Purchase)} WHERE external_id LIKE %(pattern)s GROUP BY status",
            pattern,
        ).fetchall()
    )
    audit_per_purchase = dict(
        conn.execute(
            f"SELECT n, count(*) FROM (SELECT p.id, count(a.id) AS n FROM ({ids}) AS p LEFT JOIN {table(AuditLog)} AS a"
            " ON a.resource_type = 'purchase' AND a.resource_id = p.id::text AND a.action = 'purchase.confirmed'"
            " GROUP BY p.id) AS t GROUP BY n",
            pattern,
        ).fetchall()
    )
    ledger_bad = conn.execute(
        f"SELECT count(*) FROM ({ids}) AS p JOIN {table(CashbackTransaction)} AS c ON c.purchase_id = p.id"
        " WHERE (SELECT count(*) FROM " + table(LedgerEntry) + " AS l WHERE l.source_type = 'purchase'"
        " AND l.source_id = p.id AND l.reason = 'cashback_confirmed') <> 2"
        " OR (SELECT coalesce(sum(l.amount), 0) FROM " + table(LedgerEntry) + " AS l WHERE l.source_type = 'purchase'"
        " AND l.source_id = p.id AND l.bucket = 'available') <> c.amount",
        pattern,
    ).fetchone()[0]
    total = sum(statuses.values())
    ok = statuses.get("confirmed", 0) == total and audit_per_purchase == {1: total} and ledger_bad == 0
    return {
        "purchases": total,
        "statuses": statuses,
        "confirm_audit_rows_per_purchase": {str(k): v for k, v in audit_per_purchase.items()},
        "purchases_with_wrong_ledger": ledger_bad,
        "exactly_once": ok,
    }
