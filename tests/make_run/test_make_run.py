"""`make run` as a newcomer sees it, in a real pseudo-terminal (see terminal.py).

Each run gets what a fresh machine gets: embedded PostgreSQL and Redis of its own, in a
private CLICKNBACK_DATA_DIR (DATABASE_URL and REDIS_URL are removed from its
environment, so it never touches the servers the rest of the suite uses), on a free
loopback port. Only the pip step is skipped: make runs with ``-o`` on the requirements
stamp and ``PY`` set to the interpreter running the tests (under ``make test``, the
.venv it has just brought up to date).
"""

import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.make_run.terminal import PtyRun, processes_of, still_running

BASE_DIR = Path(__file__).resolve().parents[2]
HEALTHY = r"web ok · worker ok · control ok · webhooks ok · beat ok · postgres ok · redis ok\n"
STEPS = [
    "==> starting PostgreSQL",
    "==> starting Redis",
    "==> migrating the database",
    "==> seeding demo data",
    "==> collecting static files",
    "==> starting web, worker, control, webhooks, beat",
    "==> waiting for the web server",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc").is_dir() or not shutil.which("make"), reason="needs Linux /proc and make"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def data_dir():
    """One data directory for the module: the second run finds PostgreSQL initialised."""
    path = Path(tempfile.mkdtemp(prefix="cnb-make-run-"))
    path.chmod(0o755)  # PostgreSQL runs as another system user when the tests run as root
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_run(data_dir):
    """Start `make run` in a pseudo-terminal; returns (run, port)."""
    runs = []

    def start() -> tuple[PtyRun, int]:
        port = _free_port()
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("DATABASE_URL", "REDIS_URL", "CELERY_", "DJANGO_", "CLICKNBACK_", "PYTEST_"))
            and not name.startswith(("COV_", "COVERAGE_", "MAKE", "MFLAGS"))
        }
        env.update(CLICKNBACK_DATA_DIR=str(data_dir), PORT=str(port), HOST="127.0.0.1", TERM="xterm")
        argv = ["make", "--no-print-directory", "-o", ".venv/.run-requirements", "run", f"PY={sys.executable}"]
        run = PtyRun(argv, cwd=BASE_DIR, env=env)
        runs.append(run)
        return run, port

    yield start
    for run in runs:
        run.close()
    for pid in processes_of(data_dir):  # only if the test failed half-way
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_make_run_shows_steps_then_only_the_banner_and_stops_cleanly_on_ctrl_c(make_run, data_dir):
    started = time.monotonic()
    run, port = make_run()

    # the step lines, then the banner once the stack is ready
    health = run.wait_for(r"^  \d\d:\d\d:\d\d  " + HEALTHY, deadline=started + 120)
    screen = run.screen
    before_banner = screen[: screen.index("  ClickNBack is running")]
    lines = [line for line in before_banner.splitlines() if line.strip()]
    assert all(line.startswith("==> ") for line in lines), before_banner  # no logs, warnings, migrations
    positions = [before_banner.find(step) for step in STEPS]
    assert -1 not in positions and positions == sorted(positions), before_banner
    banner = screen[screen.index("  ClickNBack is running") : health.end()]
    for text in (
        f"http://127.0.0.1:{port}/docs",
        f"http://127.0.0.1:{port}/admin/",
        f"http://127.0.0.1:{port}/wallet/",
        "Demo logins (password Str0ng!Pass)",
        "carol@clicknback.com",
        "alice@clicknback.com, bob@clicknback.com, dave@clicknback.com",
        "`make logs`",
        "Ctrl-C",
    ):
        assert text in banner, banner

    # nothing but the banner on screen for a while: every process logs to its own file
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico", timeout=5) as response:
        assert response.status == 200
    time.sleep(0.5)
    shown = run.screen
    time.sleep(4)
    assert run.screen == shown, run.screen[len(shown) :]
    assert run.screen.endswith(health.group(0) + "\n")
    logs = data_dir / "logs"
    assert {"web.log", "worker.log", "control.log", "webhooks.log", "beat.log", "stack.log"} <= {
        path.name for path in logs.iterdir()
    }
    assert "GET /favicon.ico" in (logs / "web.log").read_text()
    assert "superuser privileges" not in (logs / "worker.log").read_text()
    stack = processes_of(data_dir)
    commands = " | ".join(info["cmdline"] for info in stack.values())
    for process in ("gunicorn", "celery -A clicknback worker", "celery -A clicknback beat", "postgres", "redis-server"):
        assert process in commands, commands

    # when Ctrl-C is pressed, and pressed again while the stack is stopping
    run.press_ctrl_c()
    run.wait_for(r"^==> stopping web, worker, control, webhooks, beat", deadline=time.monotonic() + 10)
    run.press_ctrl_c()

    # then everything stops, the fallback wait included, and make exits 0
    assert run.wait(timeout=40) == 0, run.screen[-3000:]
    screen = run.screen
    assert "still stopping" in screen  # the second Ctrl-C was absorbed, not obeyed
    assert re.search(r"^==> stopped\n*\Z", screen, re.MULTILINE), screen[-2000:]
    for text in ("Traceback", "KeyboardInterrupt", "make: ***", "Error"):
        assert text not in screen, screen[-3000:]
    assert _gone_within(stack, 10) == []


def test_sigterm_to_the_foreground_group_during_a_step_stops_everything_cleanly(make_run, data_dir):
    # given a run busy migrating (or seeding, when PostgreSQL is quick)
    run, _ = make_run()
    run.wait_for(r"^==> migrating the database", deadline=time.monotonic() + 60)
    stack = processes_of(data_dir)
    assert any("postgres" in info["cmdline"] for info in stack.values())

    # when the terminal's foreground process group gets SIGTERM
    run.signal_foreground_group(signal.SIGTERM)

    # then the step is cut short, the embedded servers are stopped and make exits 0
    assert run.wait(timeout=40) == 0, run.screen[-3000:]
    screen = run.screen
    assert "==> stopping PostgreSQL" in screen and screen.rstrip().endswith("==> stopped"), screen
    assert "ClickNBack is running" not in screen
    assert "Traceback" not in screen and "make: ***" not in screen, screen
    assert _gone_within({**stack, **processes_of(data_dir)}, 10) == []
    assert processes_of(data_dir) == {}


def _gone_within(snapshot: dict, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := still_running(snapshot)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left
