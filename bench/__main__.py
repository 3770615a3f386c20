"""``python -m bench``: seed, measure the stack under load, measure the ceiling, report.

Needs DATABASE_URL and REDIS_URL (``make bench`` sets them to embedded servers when they
are unset). The bench never touches the database named there: it drops and recreates its
own database (``--db-name``, default ``clicknback_bench``) on the same server, uses its own
Celery queue and cache prefix, and binds gunicorn to a free loopback port.
"""

import argparse
import datetime as dt
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
SCENARIOS = [
    "purchase_create",
    "wallet_get",
    "wallet_transactions",
    "offers_active",
    "payout_create",
    "partner_batch_100",
    "partner_batch_1000",
]
QUEUE = "clicknback_bench"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 repetition, 3 s per measurement (development)")
    parser.add_argument("--clients", default="16,64", help="concurrent clients, comma-separated (default 16,64)")
    parser.add_argument("--duration", type=float, help="seconds per measurement (default 10; quick 3)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each measurement (default 2; quick 1)")
    parser.add_argument("--repeat", type=int, help="repetitions of each measurement (default 3; quick 1)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="HTTP scenarios to run")
    parser.add_argument(
        "--worker-class", default="sync", choices=["sync", "gthread"], help="gunicorn worker class (default sync)"
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: sync 2*cores+1, gthread cores+1)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    parser.add_argument("--drain-workers", default="1,2", help="Celery worker processes for the drain test")
    parser.add_argument("--backlog", type=int, default=5000, help="pending purchases to drain (default 5000)")
    parser.add_argument(
        "--drain-latency-ms",
        default="0,200",
        help="simulator answer times for the drain test (default 0,200; other than 0 only with 2 workers)",
    )
    parser.add_argument(
        "--drain-design",
        default="chunks",
        choices=["chunks", "per-purchase"],
        help="chunks: chunked tasks with concurrent verification (the job's design); per-purchase: "
        "one task per purchase on a threads pool (--drain-threads), for comparison",
    )
    parser.add_argument(
        "--drain-threads", type=int, default=25, help="threads per worker with --drain-design per-purchase"
    )
    parser.add_argument("--drain-timeout", type=float, default=900, help="give up a drain after this many seconds")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--merchants", type=int, default=100)
    parser.add_argument("--purchases", type=int, default=200_000)
    parser.add_argument("--max-requests", type=int, default=200_000, help="bound on requests per measurement")
    parser.add_argument("--skip", default="", help="phases to skip: drain,ceiling,http (comma-separated)")
    parser.add_argument("--profile", default="", help="py-spy record gunicorn during this scenario (16 clients)")
    parser.add_argument("--db-name", default="clicknback_bench")
    parser.add_argument("--out", default=str(BASE_DIR / "bench" / "results"), help="results directory")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--reuse-db", action="store_true", help="development: keep the bench database already seeded")
    args = parser.parse_args(argv)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    args.repeat = args.repeat or (1 if args.quick else 3)
    cores = os.cpu_count() or 2
    args.workers = args.workers or cores + 1
    args.clients = [int(c) for c in args.clients.split(",") if c]
    args.drain_workers = [int(c) for c in args.drain_workers.split(",") if c]
    args.drain_latency_ms = [int(c) for c in args.drain_latency_ms.split(",") if c]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.skip = {s for s in args.skip.split(",") if s}
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def with_db_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(with_db_name(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def stack_env(bench_url: str) -> dict[str, str]:
    """The environment of the bench process and of every process it starts."""
    return {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "clicknback.settings",
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "AUTH_THROTTLE_RATE": "off",
        # the throttles would cap what is measured: off for the run
        "PURCHASE_THROTTLE_RATE": "off",
        "PAYOUT_THROTTLE_RATE": "off",
        "PARTNER_RATE_LIMIT": "off",
        "ACCESS_TOKEN_LIFETIME_SECONDS": str(6 * 3600),
        "CELERY_QUEUE": QUEUE,
        "CACHE_KEY_PREFIX": "clicknback-bench",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def mint_tokens(user_ids: list[str]) -> list[list[str]]:
    """Access tokens signed like the login endpoint's (claim ``sub`` = user id), no login call."""
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.tokens import AccessToken

    pairs = []
    for user_id in user_ids:
        token = AccessToken()
        token[api_settings.USER_ID_CLAIM] = user_id
        pairs.append([user_id, str(token)])
    return pairs


def mint_partner_key(merchant_ids: list[str]) -> str:
    """A bench partner linked to every bench merchant, and a key for it (through the services)."""
    from clicknback.audit.services import SYSTEM
    from partners.models import Partner
    from partners.services import api_key_create, partner_create

    partner = Partner.objects.filter(name="bench partner").first() or partner_create(
        name="bench partner", merchant_ids=merchant_ids, actor=SYSTEM
    )
    _, key = api_key_create(partner_id=partner.pk, name="bench", actor=SYSTEM)
    return key


def purge_queue(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = [
        name.encode()
        for queue in (QUEUE, f"{QUEUE}.verify", f"{QUEUE}.webhooks")
        for name in (queue, *(key.decode() for key in client.scan_iter(match=f"{queue}\x06\x16*")))
    ]
    client.delete(*keys)
    client.close()


# --- phases ------------------------------------------------------------------------------


def phase_drain(args, env, conn, size, log_dir: Path) -> dict:
    from bench import stack
    from bench.dataset import check_backlog, insert_backlog
    from bench.stats import spread
    from clicknback.celery import app  # configured from settings: broker REDIS_URL, queue CELERY_QUEUE

    results = {}
    started_tag = time.strftime("%H%M%S")
    # Only the backlog may be due: purchases left pending by an earlier phase or run (with
    # --reuse-db) are moved out of the job's way; they stay pending and consistent.
    parked = conn.execute(
        "UPDATE purchases_purchase SET next_attempt_at = now() + interval '365 days'"
        " WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at < now() + interval '1 day')"
    ).rowcount
    conn.commit()
    if parked:
        log(f"parked {parked} pending purchases of earlier runs a year ahead")
    cases = [(workers, latency) for latency in args.drain_latency_ms for workers in args.drain_workers]
    cases = [(workers, latency) for workers, latency in cases if latency == 0 or workers == 2]
    for workers, latency in cases:
        key = str(workers) if latency == 0 else f"{workers}@{latency}ms"
        worker_env = {**env, "PURCHASE_SIMULATOR_LATENCY_MS": str(latency)}
        if args.drain_design == "per-purchase":
            worker_env["PURCHASE_VERIFY_CHUNK_SIZE"] = "1"
        # The dispatcher has a worker of its own (its queue), as in `make run`.
        control = stack.celery_worker(env=worker_env, log_dir=log_dir, queue=QUEUE, concurrency=1, name="control")
        if args.drain_design == "chunks":  # one prefork worker with ``workers`` processes
            pool = [stack.celery_worker(env=worker_env, log_dir=log_dir, queue=f"{QUEUE}.verify", concurrency=workers)]
        else:  # ``workers`` processes, each a threads-pool worker
            pool = [
                stack.celery_worker(
                    env=worker_env,
                    log_dir=log_dir,
                    queue=f"{QUEUE}.verify",
                    concurrency=args.drain_threads,
                    pool="threads",
                    name=f"threads{index}",
                )
                for index in range(workers)
            ]
        runs = []
        try:
            stack.wait_log(control, "ready.")
            for each in pool:
                stack.wait_log(each, "ready.")
            for rep in range(args.repeat):
                tag = f"{started_tag}-w{workers}l{latency}r{rep}"
                inserted = insert_backlog(conn, size=size, count=args.backlog, tag=tag)
                conn.commit()
                purge_queue(env["REDIS_URL"])
                pending_sql = "SELECT count(*) FROM purchases_purchase WHERE status = 'pending' AND external_id LIKE %s"
                pattern = inserted["prefix"].replace("_", "\\_") + "%"
                postmaster = postmaster_pid(env["DATABASE_URL"])
                cpu_before = (
                    sum(stack.cpu_seconds(process_group=each.proc.pid) for each in pool),
                    stack.database_cpu_seconds(db_name=args.db_name, postmaster=postmaster),
                )
                t0 = time.perf_counter()
                app.send_task("purchases.tasks.dispatch_purchase_confirmations")
                deadline = t0 + args.drain_timeout
                remaining = args.backlog
                while remaining and time.perf_counter() < deadline:
                    time.sleep(0.05)
                    remaining = conn.execute(pending_sql, [pattern]).fetchone()[0]
                    conn.commit()
                    for each in pool:
                        if not each.alive():
                            raise RuntimeError(f"Celery worker exited:\n{each.log_tail()}")
                seconds = time.perf_counter() - t0
                worker_cpu = sum(stack.cpu_seconds(process_group=each.proc.pid) for each in pool) - cpu_before[0]
                db_cpu = stack.database_cpu_seconds(db_name=args.db_name, postmaster=postmaster) - cpu_before[1]
                check = check_backlog(conn, prefix=inserted["prefix"])
                conn.commit()
                run = {
                    "seconds": round(seconds, 2),
                    "per_second": round(args.backlog / seconds, 1),
                    "left_pending": remaining,
                    "worker_cpu_ms_per_purchase": round(worker_cpu * 1000 / args.backlog, 2),
                    "db_cpu_ms_per_purchase": round(max(db_cpu, 0.0) * 1000 / args.backlog, 2),
                    "loadavg_1m": round(os.getloadavg()[0], 2),
                    **check,
                }
                log(
                    f"drain {args.backlog} with {workers} worker(s), simulator {latency} ms, {args.drain_design}: "
                    f"{run['seconds']} s, once: {run['exactly_once']}"
                )
                runs.append(run)
        finally:
            for each in pool:
                each.stop()
            control.stop()
            purge_queue(env["REDIS_URL"])
        results[key] = {
            "backlog": args.backlog,
            "latency_ms": latency,
            "design": args.drain_design,
            "seconds": spread([r["seconds"] for r in runs]),
            "per_second": spread([r["per_second"] for r in runs]),
            "worker_cpu_ms_per_purchase": spread([r["worker_cpu_ms_per_purchase"] for r in runs]),
            "exactly_once": all(r["exactly_once"] and not r["left_pending"] for r in runs),
            "runs": runs,
        }
    return results


def phase_ceiling(args, env, size) -> dict:
    from bench.ceiling import render_scripts, run_pgbench
    from bench.report import summarise

    scripts = render_scripts(users=size.users, merchants=size.merchants)
    postmaster = postmaster_pid(env["DATABASE_URL"])
    results: dict = {}
    for name, script in scripts.items():
        for clients in args.clients:
            runs = []
            for _ in range(args.repeat):
                run = run_pgbench(
                    database_url=env["DATABASE_URL"],
                    script=script,
                    name=name,
                    clients=clients,
                    seconds=max(1, round(args.duration)),
                    postmaster_pid=postmaster,
                )
                log(f"pgbench {name} c={clients}: {run['rps']} tps, p99 {run['p99_ms']} ms")
                runs.append(run)
            results.setdefault(name, {})[str(clients)] = summarise(runs)
    return results


def postmaster_pid(database_url: str) -> int | None:
    """The PostgreSQL server's process id when it runs on this machine (else None)."""
    import psycopg

    from bench import stack

    with psycopg.connect(database_url) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        parent = stack.parent_pid(backend)
        title = Path(f"/proc/{backend}/cmdline").read_bytes() if parent else b""
    return parent if parent and b"postgres" in title else None


def run_loadgen(spec: dict, tmp: Path) -> dict:
    spec_path = tmp / "spec.json"
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", str(spec_path)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=spec["duration"] + spec["warmup"] + 120,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def phase_http(args, env, users, merchants, log_dir: Path, tmp: Path, partner_key: str = "") -> dict:
    from bench import stack
    from bench.report import summarise

    postmaster = postmaster_pid(env["DATABASE_URL"])
    port = stack.free_port()
    server = stack.gunicorn(
        env=env, log_dir=log_dir, port=port, worker_class=args.worker_class, workers=args.workers, threads=args.threads
    )
    results: dict = {}
    payout_offset = 0
    try:
        stack.wait_http(f"http://127.0.0.1:{port}/health/ready", process=server)
        # Warm every worker on every endpoint first (lazy imports, URL resolver, connections),
        # so the measurements see the steady state a long-running server is in.
        for scenario in args.scenarios:
            warm = run_loadgen(
                {
                    "host": "127.0.0.1",
                    "port": port,
                    "scenario": scenario,
                    "concurrency": max(args.clients),
                    "duration": max(2.0, args.warmup),
                    "warmup": 0,
                    "max_requests": args.max_requests,
                    "tag": f"warm-{int(time.time())}-{scenario}",
                    "users": users,
                    "merchants": merchants,
                    "partner_key": partner_key,
                    "offset": payout_offset,
                },
                tmp,
            )
            payout_offset += warm["issued"]
            log(f"warm-up {scenario}: {warm['requests']} requests, {warm['errors']} errors")
        for scenario in args.scenarios:
            for clients in args.clients:
                runs = []
                for rep in range(args.repeat):
                    spec = {
                        "host": "127.0.0.1",
                        "port": port,
                        "scenario": scenario,
                        "concurrency": clients,
                        "duration": args.duration,
                        "warmup": args.warmup,
                        "max_requests": args.max_requests,
                        "tag": f"bench-{int(time.time())}-{scenario}-{clients}-{rep}",
                        "users": users,
                        "merchants": merchants,
                        "partner_key": partner_key,
                        "offset": payout_offset,
                        "cpu": {"process_group": server.proc.pid, "db": args.db_name, "postmaster": postmaster},
                    }
                    profiler = None
                    if args.profile == scenario and clients == args.clients[0] and rep == 0:
                        profiler = start_profiler(server.proc.pid, log_dir, scenario, args.duration + args.warmup)
                    run = run_loadgen(spec, tmp)
                    run["loadavg_1m"] = round(os.getloadavg()[0], 2)
                    if profiler is not None:
                        profiler.wait(timeout=60)
                    payout_offset += run["issued"]
                    log(
                        f"{scenario} c={clients}: {run['rps']} req/s, p50 {run['p50_ms']} p95 {run['p95_ms']} "
                        f"p99 {run['p99_ms']} ms, errors {run['errors']}, CPU/req app {run['app_cpu_ms_per_req']} ms"
                        f" db {run['db_cpu_ms_per_req']} ms loadgen {run['loadgen_cpu_ms_per_req']} ms"
                    )
                    if not server.alive():
                        raise RuntimeError(f"gunicorn exited:\n{server.log_tail()}")
                    runs.append(run)
                results.setdefault(scenario, {})[str(clients)] = summarise(runs)
    finally:
        server.stop()
        purge_queue(env["REDIS_URL"])
    return results


def start_profiler(pid: int, log_dir: Path, scenario: str, seconds: float) -> subprocess.Popen:
    """py-spy over gunicorn and its workers, sampling only threads that hold the GIL."""
    out = log_dir / f"profile-{scenario}"
    log(f"profiling {scenario} into {out}.txt (py-spy raw format: collapsed stacks)")
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--subprocesses",
            "--duration", str(int(seconds)), "--rate", "200", "--format", "raw", "--output", f"{out}.txt", "--gil",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def reconcile(env) -> dict:
    proc = subprocess.run(
        [sys.executable, "manage.py", "reconcile_wallets"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    output = (proc.stdout + proc.stderr).strip().splitlines()
    return {"passed": proc.returncode == 0, "exit_code": proc.returncode, "output": " / ".join(output[-3:])}


def evaluate_targets(results: dict) -> list[dict]:
    targets = []
    http, ceiling = results.get("http", {}), results.get("ceiling", {})
    ingest = http.get("purchase_create", {}).get("16")
    if ingest and ceiling.get("ingestion", {}).get("16"):
        share = ingest.get("rps_vs_ceiling", math.nan)
        p99 = ingest["p99_ms"]["median"]
        targets.append(
            {
                "name": "ingestion >= 40% of the raw-SQL ceiling at 16 clients, p99 < 150 ms",
                "value": f"{share * 100:.0f}% of ceiling, p99 {p99} ms",
                "met": share >= 0.40 and p99 < 150,
            }
        )
    wallet = http.get("wallet_get", {}).get("16")
    if wallet:
        p95 = wallet["p95_ms"]["median"]
        targets.append({"name": "wallet read p95 < 25 ms at 16 clients", "value": f"p95 {p95} ms", "met": p95 < 25})
    drain = results.get("drain", {}).get("2")
    if drain:
        worst = drain["seconds"]["max"]
        targets.append(
            {
                "name": f"backlog of {drain['backlog']} confirmed in < 10 s with 2 workers, each exactly once",
                "value": f"{drain['seconds']['median']} s (worst {worst} s), exactly once: {drain['exactly_once']}",
                "met": worst < 10 and drain["exactly_once"],
            }
        )
    slow = results.get("drain", {}).get("2@200ms")
    if slow:
        worst = slow["seconds"]["max"]
        targets.append(
            {
                "name": f"backlog of {slow['backlog']} confirmed in < 60 s with 2 workers, bank answering in 200 ms",
                "value": f"{slow['seconds']['median']} s (worst {worst} s), exactly once: {slow['exactly_once']}",
                "met": worst < 60 and slow["exactly_once"],
            }
        )
    errors = sum(s["errors"] for by in http.values() for s in by.values())
    errors += sum(s["errors"] for by in ceiling.values() for s in by.values())
    targets.append({"name": "zero errors in every run", "value": f"{errors} errors", "met": errors == 0})
    if "reconcile" in results:
        targets.append(
            {
                "name": "reconcile_wallets passes",
                "value": results["reconcile"]["output"],
                "met": results["reconcile"]["passed"],
            }
        )
    return targets


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not server_url or not redis_url:
        print("DATABASE_URL and REDIS_URL must be set (`make bench` sets them).", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    bench_url = with_db_name(server_url, args.db_name)
    env = stack_env(bench_url)
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))

    if not args.reuse_db:
        log(f"recreating database {args.db_name}")
        recreate_database(server_url, args.db_name)
    import django

    django.setup()
    import psycopg
    from django.core.management import call_command

    from bench import report
    from bench.ceiling import pgbench_binary
    from bench.dataset import MERCHANT, USER, Size, bench_uuid, seed

    size = Size(users=args.users, merchants=args.merchants, purchases=args.purchases)
    conn = psycopg.connect(bench_url)
    if args.reuse_db:
        dataset = {"users": size.users, "merchants": size.merchants, "purchases": size.purchases, "reused": True}
    else:
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        log(f"migrated in {time.perf_counter() - t0:.1f} s")
        dataset = seed(conn, size)
        log(f"seeded in {dataset['seconds']} s: {dataset['steps_s']}")
    users = mint_tokens([bench_uuid(USER, n) for n in range(1, size.users + 1)])
    merchants = [bench_uuid(MERCHANT, n) for n in range(1, size.merchants + 1)]

    results: dict = {
        "started_at": started,
        "machine": {**report.machine(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "versions": {
            **report.package_versions(),
            "PostgreSQL": conn.execute("SHOW server_version").fetchone()[0],
            "Redis": _redis_version(redis_url),
            "pgbench": report.command_version([pgbench_binary(), "--version"]),
        },
        "config": {
            "gunicorn": (
                f"--worker-class {args.worker_class} --workers {args.workers}"
                + (f" --threads {args.threads}" if args.worker_class == "gthread" else "")
            ),
            "clients": args.clients,
            "duration": args.duration,
            "warmup": args.warmup,
            "repeat": args.repeat,
            "quick": args.quick,
            "backlog": args.backlog,
            "drain_workers": args.drain_workers,
            "dispatch_batch": env.get("PURCHASE_DISPATCH_BATCH_SIZE", "500 (default)"),
        },
        "dataset": dataset,
    }
    conn.commit()
    log_dir = Path(tempfile.mkdtemp(prefix="cnb-bench-logs-"))
    with tempfile.TemporaryDirectory(prefix="cnb-bench-") as tmp:
        if "drain" not in args.skip:
            results["drain"] = phase_drain(args, env, conn, size, log_dir)
        if "ceiling" not in args.skip:
            results["ceiling"] = phase_ceiling(args, env, size)
        if "http" not in args.skip:
            partner_key = mint_partner_key(merchants) if any(s.startswith("partner_") for s in args.scenarios) else ""
            results["http"] = phase_http(args, env, users, merchants, log_dir, Path(tmp), partner_key)
    conn.close()
    log("reconcile_wallets")
    results["reconcile"] = reconcile(env)
    results["finished_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    results["logs"] = str(log_dir)
    report.add_ratios(results)
    results["targets"] = evaluate_targets(results)
    print(report.terminal_table(results))
    if not args.no_write:
        json_path, md_path = report.write(results, Path(args.out))
        print(f"\nresults: {json_path.relative_to(BASE_DIR) if json_path.is_relative_to(BASE_DIR) else json_path}")
        print(f"         {md_path.relative_to(BASE_DIR) if md_path.is_relative_to(BASE_DIR) else md_path}")
    print(f"logs:    {log_dir}")
    return 0


def _redis_version(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return client.info("server").get("redis_version", "")
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
