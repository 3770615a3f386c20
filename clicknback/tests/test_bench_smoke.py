"""Smoke tests of the benchmark harness (``python -m bench``) so it does not rot.

The bench itself runs with ``make bench``; these tests only check its pure parts (the
percentile maths, the pgbench scripts, the requests the load generator sends, the report)
and, on the test database, that the seed and the confirmation backlog it writes are what
the services and ``reconcile_wallets`` expect.
"""

import asyncio
import json
import math
import uuid

import psycopg
import pytest
from django.db import connection

from bench import loadgen, report, sqlgen
from bench.ceiling import libpq_env, render_scripts
from bench.dataset import MERCHANT, USER, Size, bench_uuid, check_backlog, insert_backlog, seed
from bench.stats import latency_summary, percentile, spread


def test_percentile_interpolates_between_closest_ranks():
    # given
    values = [float(v) for v in range(1, 101)]

    # when / then
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([4.0, 1.0, 3.0, 2.0], 0) == 1.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 100) == 4.0


def test_percentile_of_nothing_is_nan_and_out_of_range_is_refused():
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_spread_reports_median_min_and_max_ignoring_missing_runs():
    # when
    result = spread([12.0, 10.0, float("nan"), 11.0])

    # then
    assert result == {"median": 11.0, "min": 10.0, "max": 12.0, "n": 3}


def test_latency_summary_names_each_percentile():
    summary = latency_summary([1.0, 2.0, 3.0, 4.0, 100.0])

    assert summary["p50_ms"] == 3.0
    assert summary["max_ms"] == 100.0
    assert summary["p99_ms"] > summary["p95_ms"] > summary["p50_ms"]


def test_ingestion_script_writes_every_row_of_one_ingestion_in_one_transaction():
    # when
    scripts = render_scripts(users=100, merchants=10)

    # then
    lines = scripts["ingestion"].splitlines()
    assert lines[0] == "\\set u random(1, 100)"
    assert lines[1] == "\\set m random(1, 10)"
    assert lines[3] == "BEGIN;" and lines[-1] == "END;"
    body = scripts["ingestion"]
    assert "FROM wallets_wallet WHERE user_id = bench_uuid(1, :u) FOR UPDATE" in body
    for table_name in (
        "purchases_purchase",
        "purchases_cashbacktransaction",
        "wallets_ledgerentry",
        "audit_auditlog",
    ):
        assert f"INSERT INTO {table_name} (" in body
    assert "UPDATE wallets_wallet SET pending_balance = pending_balance +" in body
    # the four writes after the cap sum are one statement, as the app sends them
    (writes,) = [line for line in lines if line.startswith("WITH ")]
    for part in (
        "INSERT INTO purchases_cashbacktransaction",
        "UPDATE wallets_wallet",
        "INSERT INTO wallets_ledgerentry",
        "INSERT INTO audit_auditlog",
    ):
        assert part in writes


def test_wallet_read_script_is_one_select_by_user():
    scripts = render_scripts(users=100, merchants=10)

    statements = [line for line in scripts["wallet_read"].splitlines() if not line.startswith("\\")]
    assert len(statements) == 1
    assert statements[0].startswith("SELECT currency, pending_balance")
    assert "WHERE user_id = bench_uuid(1, :u)" in statements[0]


def test_insert_statements_name_every_column_of_the_model():
    from purchases.models import Purchase

    # when
    sql = sqlgen.insert_values(Purchase, {"id": "1", "external_id": "'x'", "user": "u", "merchant": "m",
                                          "amount": "1", "purchased_at": "now()", "created_at": "now()",
                                          "updated_at": "now()"})  # fmt: skip

    # then
    columns = sql.split("(", 1)[1].split(")", 1)[0].split(", ")
    assert sorted(columns) == sorted(field.column for field in Purchase._meta.concrete_fields)
    assert "'pending'" in sql  # the status default


def test_a_required_column_without_a_value_is_refused():
    from purchases.models import Purchase

    with pytest.raises(ValueError, match="needs a value"):
        sqlgen.insert_values(Purchase, {"id": "1"})


def test_libpq_env_reads_a_socket_directory_url():
    env = libpq_env("postgres://postgres@%2Ftmp%2Fpg%20dir:5433/clicknback_bench")

    assert env == {"PGHOST": "/tmp/pg dir", "PGPORT": "5433", "PGUSER": "postgres", "PGDATABASE": "clicknback_bench"}


def test_libpq_env_reads_a_tcp_url_with_a_password():
    env = libpq_env("postgres://bench:s%40cret@127.0.0.1/db")

    assert env["PGHOST"] == "127.0.0.1"
    assert env["PGPORT"] == "5432"
    assert env["PGPASSWORD"] == "s@cret"


def _spec(scenario: str, **extra) -> dict:
    users = [[bench_uuid(USER, n), f"token-{n}"] for n in range(1, 11)]
    return {"scenario": scenario, "users": users, "merchants": [bench_uuid(MERCHANT, 1)], "tag": "t", **extra}


def _body(raw: bytes) -> dict:
    return json.loads(raw.split(b"\r\n\r\n", 1)[1])


def test_purchase_requests_are_valid_for_their_token_and_unique():
    # given
    spec = _spec("purchase_create")

    # when
    requests = [loadgen.build_request(spec, i) for i in range(50)]

    # then
    bodies = [_body(raw) for raw in requests]
    assert len({body["external_id"] for body in bodies}) == 50
    for raw, body in zip(requests, bodies, strict=True):
        token = raw.split(b"Authorization: Bearer ", 1)[1].split(b"\r\n", 1)[0].decode()
        assert dict(spec["users"])[body["user_id"]] == token
        assert body["currency"] == "EUR"
        assert raw.startswith(b"POST /api/v1/purchases HTTP/1.1\r\n")


def test_payout_requests_take_the_next_user_from_the_offset():
    spec = _spec("payout_create", offset=3)

    tokens = [loadgen.build_request(spec, i).split(b"Bearer ", 1)[1].split(b"\r\n", 1)[0] for i in range(3)]

    assert tokens == [b"token-4", b"token-5", b"token-6"]


def test_load_generator_counts_statuses_over_keep_alive_and_closed_connections():
    # given: a tiny HTTP server answering 200, 200 with "Connection: close", then 500, in turn
    served = 0

    async def handle(reader, writer):
        nonlocal served
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
                await reader.readexactly(length)
                served += 1
                status, close = [(200, False), (200, True), (500, False)][served % 3]
                body = b'{"ok":true}'
                extra = b"Connection: close\r\n" if close else b""
                writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n%s" % (status, len(body), extra, body))
                await writer.drain()
                if close:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()

    async def scenario():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        spec = _spec("wallet_get", host="127.0.0.1", port=port, concurrency=2, duration=5, warmup=0,
                     max_requests=30)  # fmt: skip
        async with server:
            return await loadgen.run(spec)

    # when
    result = asyncio.run(scenario())

    # then
    assert result["requests"] == 30
    assert result["statuses"] == {"200": 20, "500": 10}
    assert result["errors"] == 10
    assert result["connections_opened"] > 2
    assert result["error_samples"][0]["status"] == 500


def test_report_compares_each_figure_with_its_ceiling_and_renders_tables():
    # given
    def runs(rps):
        return report.summarise([{"rps": rps, "p50_ms": 5.0, "p95_ms": 9.0, "p99_ms": 12.0, "errors": 0}])

    results = {
        "started_at": "2026-11-21T17:00:00Z",
        "machine": {"cpu": "cpu", "cores": 2, "memory": "1 GiB", "os": "Linux"},
        "versions": {"Django": "5.2"},
        "config": {"gunicorn": "--workers 3", "duration": 10, "warmup": 2, "repeat": 1},
        "dataset": {"users": 10, "merchants": 1, "purchases": 5, "seconds": 1.0},
        "http": {"purchase_create": {"16": runs(400.0)}},
        "ceiling": {"ingestion": {"16": runs(1000.0)}},
    }

    # when
    report.add_ratios(results)

    # then
    assert results["http"]["purchase_create"]["16"]["rps_vs_ceiling"] == 0.4
    assert "| POST /api/v1/purchases | 16 | 400.0 |" in report.markdown(results)
    assert "40.0%" in report.terminal_table(results)


@pytest.mark.django_db(transaction=True)
def test_seed_and_backlog_are_consistent_with_the_services_and_reconcile():
    from clicknback.audit.services import SYSTEM
    from purchases.models import Purchase, PurchaseStatus
    from purchases.services import purchase_confirm
    from wallets.reconcile import wallet_reconcile

    # given: a small dataset and a backlog written by the bench's SQL
    settings = connection.settings_dict
    conn = psycopg.connect(
        dbname=settings["NAME"], host=settings["HOST"] or None, port=settings["PORT"] or None,
        user=settings["USER"] or None, password=settings["PASSWORD"] or None,
    )  # fmt: skip
    try:
        size = Size(users=20, merchants=3, purchases=100)
        summary = seed(conn, size)
        backlog = insert_backlog(conn, size=size, count=10, tag="smoke")
        conn.commit()
        assert summary["purchases"] == 100
        assert wallet_reconcile() == []

        # when: the confirmation service confirms each backlog purchase
        pending = Purchase.objects.filter(external_id__startswith=backlog["prefix"], status=PurchaseStatus.PENDING)
        assert pending.count() == 10
        for purchase_id in pending.values_list("id", flat=True):
            purchase_confirm(purchase_id=purchase_id, actor=SYSTEM)

        # then
        check = check_backlog(conn, prefix=backlog["prefix"])
        conn.commit()
    finally:
        conn.close()
    assert check["exactly_once"] is True
    assert check["confirm_audit_rows_per_purchase"] == {"1": 10}
    assert wallet_reconcile() == []
    assert str(uuid.UUID(bench_uuid(USER, 20))) == bench_uuid(USER, 20)


def test_cpu_accounting_sees_this_process_group():
    import os

    from bench.stack import cpu_seconds

    # given some CPU work in this process
    sum(i * i for i in range(200_000))

    # when / then
    assert cpu_seconds(process_group=os.getpgrp()) > 0
    assert cpu_seconds(cmdline_contains="no process is titled like this \x01") == 0


def test_results_are_written_as_json_and_markdown(tmp_path):
    # given
    results = {
        "started_at": "2026-11-21T17:00:00Z",
        "machine": {"cpu": "cpu", "cores": 2, "memory": "1 GiB", "os": "Linux"},
        "versions": {"Django": "5.2"},
        "config": {"gunicorn": "--workers 3", "duration": 10, "warmup": 2, "repeat": 1},
        "dataset": {"users": 10, "merchants": 1, "purchases": 5, "seconds": 1.0},
        "drain": {
            "2": {
                "backlog": 10,
                "seconds": spread([1.5]),
                "per_second": spread([6.7]),
                "worker_cpu_ms_per_purchase": spread([8.0]),
                "exactly_once": True,
                "runs": [],
            }
        },
    }

    # when
    json_path, md_path = report.write(results, tmp_path)

    # then
    assert json.loads(json_path.read_text())["drain"]["2"]["exactly_once"] is True
    assert "| 10 pending | 2 | 1.50 | 6.7 | 8.00 | True |" in md_path.read_text()
    assert json_path.name == "20261121T170000Z.json"
