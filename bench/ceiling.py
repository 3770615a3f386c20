"""The ceiling: pgbench running the raw SQL of one request against the same database.

Two custom scripts, rendered from the Django models (same tables, same indexes, every
column written as the app writes it):

* ``ingestion`` — one purchase ingestion in one transaction: the offer lookup for the
  merchant, the wallet row locked with ``SELECT ... FOR UPDATE``, the monthly-cap sum, the
  purchase insert, then the cashback insert, the wallet ``UPDATE``, the ledger insert and
  the audit insert in one statement (data-modifying CTEs), as the app sends them. Each
  statement needs the answer of the one before it, but for the last four, which need
  none: the least a correct ingestion can send.
* ``wallet_read`` — the wallet row of one user by ``user_id``.

pgbench runs them with prepared statements at the same client counts as the HTTP load
(``-c N -j 2 -T seconds``), logging every transaction so the percentiles are computed
exactly as for the HTTP figures.
"""

import glob
import math
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bench.dataset import MERCHANT, OFFER, USER
from bench.sqlgen import insert_values, table
from bench.stack import reaped_children_cpu_seconds
from bench.stats import latency_summary


def render_scripts(*, users: int, merchants: int) -> dict[str, str]:
    from clicknback.audit.models import AuditLog
    from merchants.models import Merchant
    from offers.models import Offer
    from purchases.models import CashbackTransaction, Purchase
    from wallets.models import LedgerEntry, Wallet

    cashback = "round(:amount_cents * 0.05 / 100, 2)"
    purchase = insert_values(
        Purchase,
        {
            "id": ":pid",
            "external_id": "'pgb-' || :pid",
            "user": f"bench_uuid({USER}, :u)",
            "merchant": f"bench_uuid({MERCHANT}, :m)",
            "offer": ":oid",
            "amount": ":amount_cents / 100.0",
            "currency": "'EUR'",
            "status": "'pending'",
            "purchased_at": "now()",
            "created_at": "now()",
            "updated_at": "now()",
        },
    )
    cashback_row = insert_values(
        CashbackTransaction,
        {
            "id": "gen_random_uuid()",
            "purchase": ":pid",
            "user": f"bench_uuid({USER}, :u)",
            "offer": ":oid",
            "amount": cashback,
            "currency": "'EUR'",
            "status": "'pending'",
            "purchased_at": "now()",
            "created_at": "now()",
            "updated_at": "now()",
        },
    )
    ledger = insert_values(
        LedgerEntry,
        {
            "wallet": ":wid",
            "bucket": "'pending'",
            "amount": cashback,
            "currency": "'EUR'",
            "reason": "'cashback_pending'",
            "source_type": "'purchase'",
            "source_id": ":pid",
            "actor_type": "'user'",
            "actor_id": f"bench_uuid({USER}, :u)",
            "request_id": "'pgbench'",
            "created_at": "now()",
        },
    )
    audit = insert_values(
        AuditLog,
        {
            "id": "gen_random_uuid()",
            "occurred_at": "now()",
            "actor_type": "'user'",
            "actor_id": f"bench_uuid({USER}, :u)",
            "action": "'purchase.ingested'",
            "resource_type": "'purchase'",
            "resource_id": ":pid",
            "outcome": "'success'",
            "details": "jsonb_build_object('external_id', 'pgb-' || :pid, 'amount', (:amount_cents / 100.0)::text,"
            f" 'cashback_amount', ({cashback})::text)",
            "request_id": "'pgbench'",
        },
    )
    ingestion = "\n".join(
        [
            f"\\set u random(1, {users})",
            f"\\set m random(1, {merchants})",
            "\\set amount_cents random(2000, 9999)",
            "BEGIN;",
            # The offer a purchase earns today: offers.selectors.offers_valid_on.
            f"SELECT o.id AS oid, gen_random_uuid() AS pid FROM {table(Offer)} o JOIN {table(Merchant)} m"
            f" ON m.id = o.merchant_id WHERE o.merchant_id = bench_uuid({MERCHANT}, :m) AND m.active"
            " AND o.status = 'active' AND o.start_date <= current_date AND o.end_date >= current_date \\gset",
            f"SELECT id AS wid, pending_balance FROM {table(Wallet)} WHERE user_id = bench_uuid({USER}, :u)"
            " FOR UPDATE \\gset",
            f"SELECT coalesce(sum(amount - returned_amount), 0) AS earned FROM {table(CashbackTransaction)}"
            f" WHERE user_id = bench_uuid({USER}, :u) AND offer_id = bench_uuid({OFFER}, :m)"
            " AND purchased_at >= date_trunc('month', now()) AND status <> 'reversed' \\gset",
            purchase + ";",
            # The four writes after the cap sum in one statement: the least a correct
            # ingestion must send (the app sends them as four statements).
            f"WITH c AS ({cashback_row}),"
            f" w AS (UPDATE {table(Wallet)} SET pending_balance = pending_balance + {cashback}, updated_at = now()"
            f" WHERE id = :wid), l AS ({ledger}) {audit};",
            "END;",
        ]
    )
    wallet_read = "\n".join(
        [
            f"\\set u random(1, {users})",
            "SELECT currency, pending_balance, available_balance, paid_balance, owed_balance"
            f" FROM {table(Wallet)} WHERE user_id = bench_uuid({USER}, :u);",
        ]
    )
    return {"ingestion": ingestion + "\n", "wallet_read": wallet_read + "\n"}


def pgbench_binary() -> str:
    """pgserver's pgbench when installed (same major version as the embedded server)."""
    try:
        import pgserver

        candidate = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("pgbench")
    if not found:
        raise RuntimeError("pgbench not found: install pgserver (requirements-local.txt) or PostgreSQL's client")
    return found


def libpq_env(database_url: str) -> dict[str, str]:
    """PG* variables for a ``postgres://user:pass@host:port/db`` URL (host may be a %-encoded socket dir)."""
    parts = urlsplit(database_url)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    host, port = hostport, "5432"
    if ":" in hostport and hostport.rsplit(":", 1)[1].isdigit():
        host, port = hostport.rsplit(":", 1)
    user, _, password = userinfo.partition(":")
    env = {
        "PGHOST": unquote(host) or "127.0.0.1",
        "PGPORT": port,
        "PGUSER": unquote(user) or "postgres",
        "PGDATABASE": unquote(parts.path.lstrip("/")),
    }
    if password:
        env["PGPASSWORD"] = unquote(password)
    return env


_TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)
_FAILED = re.compile(r"^number of failed transactions: (\d+)", re.MULTILINE)


def run_pgbench(
    *,
    database_url: str,
    script: str,
    name: str,
    clients: int,
    seconds: int,
    threads: int = 2,
    postmaster_pid: int | None = None,
) -> dict:
    with tempfile.TemporaryDirectory(prefix="cnb-pgbench-") as tmp:
        path = Path(tmp) / f"{name}.sql"
        path.write_text(script)
        prefix = str(Path(tmp) / "log")
        cmd = [
            pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(threads, clients)),
            "-T", str(seconds), "-f", str(path), "-l", "--log-prefix", prefix,
        ]  # fmt: skip
        db_cpu_before = reaped_children_cpu_seconds(postmaster_pid) if postmaster_pid else math.nan
        proc = subprocess.run(cmd, env={**os.environ, **libpq_env(database_url)}, capture_output=True, text=True)
        # pgbench's backends have exited and been reaped by now: their CPU is the postmaster's
        db_cpu = reaped_children_cpu_seconds(postmaster_pid) - db_cpu_before if postmaster_pid else math.nan
        if proc.returncode != 0:
            raise RuntimeError(f"pgbench failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
        latencies = []
        for log in glob.glob(prefix + "*"):
            with open(log) as fh:
                for line in fh:
                    fields = line.split()
                    if len(fields) >= 3 and fields[2].isdigit():
                        latencies.append(int(fields[2]) / 1000)
    tps = _TPS.search(proc.stdout)
    failed = _FAILED.search(proc.stdout)
    return {
        "scenario": name,
        "concurrency": clients,
        "requests": len(latencies),
        "errors": int(failed.group(1)) if failed else 0,
        "rps": round(float(tps.group(1)), 1) if tps else float("nan"),
        **latency_summary(latencies),
        "db_cpu_ms_per_req": round(db_cpu * 1000 / len(latencies), 3) if latencies else math.nan,
    }
