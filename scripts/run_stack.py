"""`make run`: migrate, seed, then run gunicorn, a Celery worker and Celery beat.

Expects DATABASE_URL and REDIS_URL in the environment (``clicknback.devservices`` sets
them to embedded servers when they are not given). Ctrl-C stops every process started.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = int(os.environ.get("PORT", "8000"))
HOST = os.environ.get("HOST", "127.0.0.1")


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=BASE_DIR, check=True)


def wait_ready(url: str, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def main() -> int:
    manage("migrate", "--noinput")
    manage("seed_demo")
    manage("collectstatic", "--noinput", "--verbosity", "0")
    # Worker class and count come from gunicorn.conf.py (WEB_CONCURRENCY etc. override them).
    commands = {
        "web": [
            PY, "-m", "gunicorn", "clicknback.wsgi:application",
            "--bind", f"{HOST}:{PORT}", "--access-logfile", "-",
        ],
        "worker": [PY, "-m", "celery", "-A", "clicknback", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [
            PY, "-m", "celery", "-A", "clicknback", "beat", "--loglevel", "INFO",
            "--schedule", str(BASE_DIR / ".data" / "celerybeat-schedule"),
        ],
    }  # fmt: skip
    processes = {name: subprocess.Popen(cmd, cwd=BASE_DIR, start_new_session=True) for name, cmd in commands.items()}

    def stop(*_):
        for proc in processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def interrupt(*_):
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    base = f"http://{HOST}:{PORT}"
    try:
        if not wait_ready(f"{base}/health/ready"):
            print("The stack did not become ready within 90 s; see the logs above.", file=sys.stderr)
        print(
            "\n"
            "  ClickNBack is running\n"
            f"    API docs (Swagger)  {base}/docs\n"
            f"    OpenAPI schema      {base}/api/schema/\n"
            f"    API base            {base}/api/v1\n"
            f"    Back office         {base}/{os.environ.get('ADMIN_URL', 'admin/')}\n"
            f"    Wallet pages        {base}/wallet/\n"
            f"    Health              {base}/health/ready\n"
            "\n"
            "  Demo logins (password Str0ng!Pass)\n"
            "    admin  carol@clicknback.com   (back office and admin API)\n"
            "    users  alice@clicknback.com, bob@clicknback.com, dave@clicknback.com\n"
            "\n"
            "  Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        while all(proc.poll() is None for proc in processes.values()):
            time.sleep(1)
        failed = [name for name, proc in processes.items() if proc.poll() is not None]
        print(f"Stopped because {', '.join(failed)} exited.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
