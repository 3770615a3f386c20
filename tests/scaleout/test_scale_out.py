"""The system spread over several hosts, one of them lost in the middle (docs/scale-out.md).

Six hosts, each a network namespace of its own on this machine (``tests/scaleout/hosts.py``):

* ``db`` 10.77.0.2: PostgreSQL (Debian's, listening on its own loopback only), PgBouncer in
  transaction mode in front of it (10.77.0.2:6432, the only way in), Redis;
* ``web1`` .11 and ``web2`` .12: gunicorn;
* ``wk1`` .21: Celery beat, a control worker, a verification worker;
* ``wk2`` .22: a control worker, a verification worker;
* ``client`` .5: seeds, ingests through both web hosts, checks (``tests/scaleout/driver.py``).

Every process is started with the command ``make run`` uses (``scripts/run_stack.py``),
configured only through the environment; all database connections go through PgBouncer
(``DB_PREPARE_THRESHOLD=0``: no prepared statements, which transaction pooling cannot
keep). 2,000 purchases are ingested, the bank answers in 200 ms; once a few hundred are
confirmed, host ``wk2`` is killed (SIGKILL to all its processes, its link removed).
Every purchase must end confirmed exactly once and ``reconcile_wallets`` must be clean.
"""

import importlib.util
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import record
from tests.faults.procs import REDIS_SERVER
from tests.scaleout.hosts import Network, available, postgres_bin

BASE_DIR = Path(__file__).resolve().parents[2]
PURCHASES = 2000
KILL_AFTER = 300  # confirmed purchases
DEADLINE = 150  # seconds for the whole test, start-up included
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
PG_BIN = postgres_bin() or Path("/usr/lib/postgresql/15/bin")

pytestmark = [pytest.mark.slow, pytest.mark.worker]


def _run_stack():
    spec = importlib.util.spec_from_file_location("run_stack", BASE_DIR / "scripts" / "run_stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wait(predicate, timeout: float, what: str, logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tails = {log.name: log.read_text(errors="replace")[-1500:] for log in sorted(logs.glob("*.log"))}
    raise AssertionError(f"{what} not ready after {timeout} s: {json.dumps(tails, indent=1)}")


def _tcp_open(network: Network, host: str, address: str, port: int) -> bool:
    import subprocess

    probe = f"import socket; socket.create_connection(('{address}', {port}), timeout=1).close()"
    done = subprocess.run(
        ["ip", "netns", "exec", network.namespace(host), sys.executable, "-c", probe], capture_output=True, check=False
    )
    return done.returncode == 0


@pytest.mark.skipif(available() is not None, reason=available() or "")
def test_the_system_on_six_hosts_loses_nothing_when_a_worker_host_dies():
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="cnb-scaleout-"))
    workdir.chmod(0o777)
    logs = workdir / "logs"
    logs.mkdir()
    logs.chmod(0o777)
    network = Network(f"cnb{os.getpid() % 100000}")
    try:
        hosts = {"db": 2, "client": 5, "web1": 11, "web2": 12, "wk1": 21, "wk2": 22}
        addresses = {name: network.add_host(name, number) for name, number in hosts.items()}
        db = addresses["db"]

        # the database host: PostgreSQL on its loopback, PgBouncer and Redis on the network
        pgdata = workdir / "pg"
        import subprocess

        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(pgdata), "-A", "trust",
             "-U", "postgres", "--no-sync"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        network.run(
            "db",
            [str(PG_BIN / "postgres"), "-D", str(pgdata), "-c", "listen_addresses=127.0.0.1", "-c", "port=5432",
             "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "full_page_writes=off",
             "-c", "max_connections=60", "-c", "timezone=UTC", "-c", "idle_in_transaction_session_timeout=10s"],
            env=dict(os.environ), log=logs / "postgres.log", user="postgres",
        )  # fmt: skip
        (workdir / "userlist.txt").write_text('"postgres" ""\n')
        (workdir / "pgbouncer.ini").write_text(
            "[databases]\nclicknback = host=127.0.0.1 port=5432 dbname=clicknback\n"
            f"[pgbouncer]\nlisten_addr = {db}\nlisten_port = 6432\nauth_type = trust\n"
            f"auth_file = {workdir / 'userlist.txt'}\npool_mode = transaction\nmax_client_conn = 400\n"
            "default_pool_size = 24\nignore_startup_parameters = extra_float_digits,options\n"
            # A host that vanishes closes nothing: its open transaction (and its row locks)
            # would live until TCP gives up. Drop a client idle inside a transaction.
            "idle_transaction_timeout = 5\n"
            f"unix_socket_dir =\nlogfile = {logs / 'pgbouncer-own.log'}\n"
        )
        network.run(
            "db", [PGBOUNCER, str(workdir / "pgbouncer.ini")], env=dict(os.environ),
            log=logs / "pgbouncer.log", user="postgres",
        )  # fmt: skip
        network.run(
            "db",
            [shutil.which("redis-server") or REDIS_SERVER, "--bind", db, "--port", "6379", "--save", "",
             "--appendonly", "no", "--protected-mode", "no"],
            env=dict(os.environ), log=logs / "redis.log",
        )  # fmt: skip
        _wait(lambda: _tcp_open(network, "web1", db, 6432), 30, "pgbouncer", logs)
        _wait(lambda: _tcp_open(network, "web1", db, 6379), 30, "redis", logs)

        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "PYTEST_", "COV_", "DJANGO_"))},
            "PYTHONPATH": str(BASE_DIR),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "clicknback.settings",
            "DJANGO_ENV": "development",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            "DJANGO_ALLOWED_HOSTS": ",".join(addresses.values()),
            "DATABASE_URL": f"postgres://postgres@{db}:6432/clicknback",
            "DB_PREPARE_THRESHOLD": "0",
            "DB_DISABLE_SERVER_SIDE_CURSORS": "true",
            "REDIS_URL": f"redis://{db}:6379/0",
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": "2",
            "PURCHASE_CONFIRMATION_INTERVAL_SECONDS": "1",
            "PURCHASE_CLAIM_SECONDS": "8",
            "PURCHASE_VERIFY_TIMEOUT_SECONDS": "3",
            "CELERY_VISIBILITY_TIMEOUT": "10",
            "PURCHASE_SIMULATOR_LATENCY_MS": "200",
            "CLICKNBACK_DATA_DIR": str(workdir),
        }
        # migrate once, from the database host, straight to PostgreSQL (as a deploy step would)
        direct = {**env, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres"}
        create = (
            "import psycopg; psycopg.connect('postgres://postgres@127.0.0.1:5432/postgres', autocommit=True)"
            ".execute('CREATE DATABASE clicknback')"
        )

        def created() -> bool:
            return network.run("db", [sys.executable, "-c", create], env=direct, log=logs / "createdb.log").wait() == 0

        _wait(created, 30, "postgres", logs)
        migrate = network.run(
            "db", [sys.executable, "manage.py", "migrate", "--noinput"],
            env={**env, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/clicknback"}, log=logs / "migrate.log",
        )  # fmt: skip
        assert migrate.wait(timeout=90) == 0, (logs / "migrate.log").read_text()[-2000:]

        stack = _run_stack()
        for web in ("web1", "web2"):
            argv = stack.process_commands(addresses[web], 8000, workdir / web)["web"]
            network.run(web, argv, env={**env, "HOME": str(workdir)}, log=logs / f"{web}.log")
        for worker in ("wk1", "wk2"):
            commands = stack.process_commands(addresses[worker], 8000, workdir)
            wanted = ("worker", "control", "beat") if worker == "wk1" else ("worker", "control")
            for name in wanted:
                argv = [part.replace(f"{name}@%h", f"{name}-{worker}@%h") for part in commands[name]]
                network.run(worker, argv, env=env, log=logs / f"{worker}-{name}.log")
        for web in ("web1", "web2"):
            _wait(lambda web=web: _tcp_open(network, "client", addresses[web], 8000), 60, web, logs)
        for worker in ("wk1", "wk2"):
            _wait(lambda worker=worker: "ready." in (logs / f"{worker}-worker.log").read_text(errors="replace"),
                  60, f"{worker} worker", logs)  # fmt: skip

        # when: 2,000 purchases through both web hosts; wk2 is killed part-way through
        driver = network.run(
            "client",
            [sys.executable, "-m", "tests.scaleout.driver", str(workdir), str(PURCHASES),
             f"http://{addresses['web1']}:8000", f"http://{addresses['web2']}:8000"],
            env=env, log=logs / "driver.log",
        )  # fmt: skip
        killed_at = None
        while driver.poll() is None and time.monotonic() - started < DEADLINE:
            progress = workdir / "progress"
            confirmed = int(progress.read_text() or 0) if progress.exists() else 0
            if killed_at is None and confirmed >= KILL_AFTER:
                network.kill_host("wk2")
                killed_at = confirmed
            time.sleep(0.1)
        if driver.poll() is None:
            driver.kill()
            pytest.fail(f"not done within {DEADLINE} s: {(logs / 'driver.log').read_text()[-2000:]}")
        assert driver.returncode == 0, (logs / "driver.log").read_text()[-3000:]
        result = json.loads((workdir / "result.json").read_text())

        # then
        assert killed_at is not None and killed_at < PURCHASES, "the host was killed too late to matter"
        assert result["created"] == PURCHASES == result["ingested"], result
        assert result["confirmed"] == PURCHASES, result
        assert result["exactly_once"] and result["ledger_pairs_once"], result
        assert result["request_ids_carried"] == PURCHASES, result
        assert result["reconciled"], result
        record(
            "scale-out",
            f"6 hosts (db+PgBouncer+Redis, 2 web, 2 workers, client): {PURCHASES} ingested through both web "
            f"hosts, wk2 killed after {killed_at} confirmed; {result['confirmed']} confirmed exactly once in "
            f"{result['seconds']} s, reconcile clean; whole test {time.monotonic() - started:.0f} s",
        )
        shutil.rmtree(workdir, ignore_errors=True)  # kept when the test fails, for its logs
    finally:
        network.destroy()
