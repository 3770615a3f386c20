"""PostgreSQL restarts under a running web process, which recovers on its own.

A private PostgreSQL (pgserver) is migrated and served by one long-lived gunicorn
worker holding a persistent connection (``CONN_MAX_AGE``). PostgreSQL is stopped
(readiness answers 503 naming the database) and started again; the same web process
then answers again — ``CONN_HEALTH_CHECKS`` drops the dead connection — without being
restarted.
"""

import subprocess
import sys

import psutil
import pytest

from tests.conftest import record
from tests.faults.procs import BASE_DIR, Postgres, child_env, free_port, http, wait_http_ready, web_server

EMAIL = "restart@example.com"
PASSWORD = "Str0ng!Pass"


@pytest.fixture
def private_postgres():
    postgres = Postgres()
    yield postgres
    postgres.destroy()


def _worker_pids(web) -> set[int]:
    return {child.pid for child in psutil.Process(web.proc.pid).children(recursive=True)}


@pytest.mark.slow
def test_web_process_recovers_after_a_postgres_restart_without_restarting(private_postgres, private_redis, processes):
    # given a migrated private database served by one gunicorn worker
    env = child_env(DATABASE_URL=private_postgres.url, REDIS_URL=private_redis.url, AUTH_THROTTLE_RATE="off")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = web_server(env, port)
    processes.append(web.start())
    assert wait_http_ready(base), web.output()
    assert http("POST", f"{base}/api/v1/users", body={"email": EMAIL, "password": PASSWORD})[0] == 201
    assert http("GET", f"{base}/health/ready")[0] == 200
    pids_before = _worker_pids(web)

    # when PostgreSQL stops
    private_postgres.stop()
    down_status, down_body, _ = http("GET", f"{base}/health/ready")
    api_down_status = http("POST", f"{base}/api/v1/auth/login", body={"email": EMAIL, "password": PASSWORD})[0]

    # then readiness names the database
    assert down_status == 503
    assert down_body["checks"]["database"] == "unavailable"

    # when it starts again
    private_postgres.start()

    # then the same web process serves reads and writes again
    login_status, tokens, _ = http("POST", f"{base}/api/v1/auth/login", body={"email": EMAIL, "password": PASSWORD})
    assert login_status == 200, tokens
    me_status, me, _ = http("GET", f"{base}/api/v1/users/me", token=tokens["access_token"])
    assert me_status == 200 and me["email"] == EMAIL
    assert http("POST", f"{base}/api/v1/users", body={"email": "second@example.com", "password": PASSWORD})[0] == 201
    assert http("GET", f"{base}/health/ready")[0] == 200
    assert _worker_pids(web) == pids_before
    record(
        "faults",
        f"PostgreSQL stopped under gunicorn: /health/ready {down_status}, an API call during the outage "
        f"{api_down_status}; restarted: login 200, /users/me 200, register 201, same worker pid",
    )
