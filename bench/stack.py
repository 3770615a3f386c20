"""Start and stop the stack the way production runs it: gunicorn and Celery workers.

Each process gets its own session (process group) so stopping it also stops its
children (gunicorn's and Celery's worker processes); nothing else is ever signalled.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, cwd=BASE_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 20) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self._log.close()


def gunicorn(
    *, env: dict[str, str], log_dir: Path, port: int, worker_class: str, workers: int, threads: int
) -> Process:
    cmd = [
        sys.executable, "-m", "gunicorn", "clicknback.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--backlog", "2048",
        "--timeout", "60",
        "--graceful-timeout", "5",
        "--log-level", "warning",
    ]  # fmt: skip
    if worker_class == "gthread":
        cmd += ["--threads", str(threads), "--keep-alive", "5"]
    return Process(f"gunicorn-{worker_class}-{workers}x{threads}", cmd, env, log_dir)


def wait_http(url: str, *, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout:.0f} s:\n{process.log_tail()}")


def celery_worker(
    *,
    env: dict[str, str],
    log_dir: Path,
    queue: str,
    concurrency: int,
    name: str = "",
    pool: str = "prefork",
    processes: int | None = None,
) -> Process:
    """A worker on ``queue``; ``processes`` (default ``concurrency``) only names it."""
    name = name or f"bench{processes or concurrency}"
    cmd = [
        sys.executable, "-m", "celery", "-A", "clicknback", "worker",
        "-Q", queue, "-n", f"{name}@%h",
        "--concurrency", str(concurrency), "--pool", pool,
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel", "INFO",
    ]  # fmt: skip
    return Process(f"celery-{name}", cmd, env, log_dir)


def wait_log(process: Process, needle: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
        if needle in process.log_path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} not ready after {timeout:.0f} s:\n{process.log_tail()}")


# --- CPU accounting: robust to other load on the machine -------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: str) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces: split after its closing parenthesis
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(*, process_group: int | None = None, cmdline_contains: str | None = None) -> float:
    """User + system CPU seconds of live processes in a process group or whose title matches."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _proc_stat(entry.name)
        if fields is None:
            continue
        if process_group is not None and fields[2] != str(process_group):
            continue
        if cmdline_contains is not None:
            try:
                title = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if cmdline_contains not in title:
                continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def database_cpu_seconds(*, db_name: str, postmaster: int | None) -> float:
    """CPU seconds of the backends serving ``db_name`` (live ones by title) plus every backend
    the postmaster has reaped: a backend that disconnects between two readings (Django
    reopens a connection after ``CONN_MAX_AGE``) moves from the first sum to the second
    instead of vanishing, so a difference of two readings stays right."""
    live = cpu_seconds(cmdline_contains=f" {db_name} ")
    return live + (reaped_children_cpu_seconds(postmaster) if postmaster else 0.0)


def reaped_children_cpu_seconds(pid: int) -> float:
    """CPU seconds of the exited (reaped) children of ``pid``: for the postmaster, the work of
    every backend that has disconnected since it started."""
    fields = _proc_stat(str(pid))
    if fields is None:
        return float("nan")
    return (int(fields[13]) + int(fields[14])) / _TICKS


def parent_pid(pid: int) -> int | None:
    fields = _proc_stat(str(pid))
    return int(fields[1]) if fields else None
