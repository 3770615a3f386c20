"""`make run`: the whole system in one terminal, with a calm screen.

One line per step: start the embedded PostgreSQL and Redis (unless DATABASE_URL /
REDIS_URL are set), migrate, seed the demo data, collect static files, start gunicorn,
a Celery worker and Celery beat. Each process writes to its own file in ``.data/logs/``
(``make logs`` follows them), so once the stack is ready the banner (URLs, demo logins,
a health line) is the last thing on screen. It is printed again whenever that changes:
a process that dies is restarted after 1, 2, 4 ... 30 s, and PostgreSQL and Redis are
checked every few seconds.

Ctrl-C (or SIGTERM, SIGHUP) stops everything: the processes get SIGTERM, whatever still
runs 15 s later gets SIGKILL, then the embedded servers this run started are stopped.
Further Ctrl-Cs meanwhile are ignored. When run by ``make`` in a terminal this process
takes the terminal's foreground, so Ctrl-C reaches it and not make, and make exits 0.
(SIGTERM sent to make itself is passed on by make, and the stack stops the same way,
but make then ends with status 143, as it does on any SIGTERM.)

``run_stack.py --logs`` (``make logs``) follows the log files.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from clicknback import devservices  # noqa: E402 - needs BASE_DIR on the path; standard library only

PY = sys.executable
PORT = int(os.environ.get("PORT", "8000"))
HOST = os.environ.get("HOST", "127.0.0.1")
DATA_DIR = devservices.DATA_DIR
LOG_DIR = DATA_DIR / "logs"
STOP_TIMEOUT = 15.0  # seconds between SIGTERM and SIGKILL
READY_TIMEOUT = 90.0  # seconds the web server has to answer /health/ready
CHECK_INTERVAL = 5.0  # seconds between two checks of PostgreSQL and Redis
STEP = "==> "
# The queues, named as clicknback/settings.py names them (this script imports no Django).
CONTROL_QUEUE = os.environ.get("CELERY_QUEUE", "clicknback")
VERIFY_QUEUE = os.environ.get("CELERY_VERIFY_QUEUE", f"{CONTROL_QUEUE}.verify")
WEBHOOK_QUEUE = os.environ.get("CELERY_WEBHOOK_QUEUE", f"{CONTROL_QUEUE}.webhooks")


def shown(path: Path) -> str:
    """A path as the person at the terminal would type it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- the terminal ----------------------------------------------------------------


def say(text: str = "") -> None:
    """Print a line; a terminal that has gone away (hang-up, closed pipe) is not an error."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the broken stream for good


def step(text: str) -> None:
    say(STEP + text)


class Foreground:
    """Make this process the terminal's foreground process group while in the block.

    A terminal sends Ctrl-C's SIGINT to its foreground process group. Under ``make`` that
    group is make's, and make, once its child has exited, kills itself with that SIGINT:
    status 130 however cleanly the child stopped. In a group of its own that is the
    foreground one, this process alone gets Ctrl-C (its children run in sessions of their
    own); make just sees it exit 0. Nothing changes without a terminal, in the background,
    or when this process already leads its group (started from a shell).
    """

    def __enter__(self) -> "Foreground":
        self.tty = self.previous = None
        try:
            tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
        except OSError:
            return self
        group = os.getpgrp()
        try:
            if os.tcgetpgrp(tty) == group and group != os.getpid():
                os.setpgid(0, 0)
                try:
                    self._hand_to(tty, os.getpgrp())
                except OSError:
                    os.setpgid(0, group)
                    raise
                self.tty, self.previous = tty, group
                return self
        except OSError:
            pass
        os.close(tty)
        return self

    def __exit__(self, *exc) -> None:
        if self.tty is not None:
            try:
                self._hand_to(self.tty, self.previous)
            except OSError:  # the terminal is gone
                pass
            os.close(self.tty)

    @staticmethod
    def _hand_to(tty: int, group: int) -> None:
        # A process outside the foreground group that changes it gets SIGTTOU: ignore it.
        previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            os.tcsetpgrp(tty, group)
        finally:
            signal.signal(signal.SIGTTOU, previous)


class StopRequest:
    """SIGINT, SIGTERM and SIGHUP only set a flag, checked by the loops below.

    Nothing is raised from the handler, so no signal, the first or any later one, can cut
    a step short, least of all the wait before SIGKILL. Ctrl-Z is ignored: this process
    holds the terminal, and a stopped foreground group under a waiting make would leave
    the terminal hanging.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.repeats = 0
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._handle)
        signal.signal(signal.SIGTSTP, lambda *_: None)

    def _handle(self, signum, _frame) -> None:
        if self.signum is None:
            self.signum = signum
        else:
            self.repeats += 1

    @property
    def requested(self) -> bool:
        return self.signum is not None


class Stopping(Exception):
    """Ctrl-C (or a termination signal) arrived: leave the current step and shut down."""


class StartupError(Exception):
    """A step failed; the message says which and where its log is."""


# --- processes ------------------------------------------------------------------


def group_alive(pgid: int) -> bool:
    """Whether a process of the group is still running (zombies waiting to be reaped are not)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel, zombies included
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
                return True
    return False


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\n".join("    " + line for line in text)


class Child:
    """A process of the stack, in a session (and process group) of its own, writing to a log."""

    def __init__(self, name: str, argv: list[str], log: Path):
        self.name, self.argv, self.log = name, argv, log
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    def start(self, env: dict[str, str], stdout=None) -> "Child":
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stdout or log,
                stderr=log,
                start_new_session=True,
            )
        self.started_at = time.monotonic()
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def exit_text(self) -> str:
        code = self.returncode
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with {code}"

    def alive(self) -> bool:
        """The process or anything it started (same group) still runs."""
        return self.proc is not None and (self.running or group_alive(self.proc.pid))

    def signal_group(self, signum: int) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signum)
            except (ProcessLookupError, PermissionError):
                pass


def stop_children(children: list[Child], stop: StopRequest) -> None:
    """SIGTERM to every group, SIGKILL to those still running STOP_TIMEOUT s later."""
    running = [child for child in children if child.alive()]
    if not running:
        return
    step(f"stopping {', '.join(child.name for child in running)}")
    for child in running:
        child.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    told = stop.repeats
    while running and time.monotonic() < deadline:
        if stop.repeats > told:
            told = stop.repeats
            say(f"    still stopping: one Ctrl-C is enough; what still runs after {STOP_TIMEOUT:.0f} s is killed")
        time.sleep(0.1)
        running = [child for child in running if child.alive()]
    for child in running:
        say(f"    {child.name} did not stop within {STOP_TIMEOUT:.0f} s: killed")
        child.signal_group(signal.SIGKILL)
    for child in running:
        try:
            child.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass


# --- the banner -----------------------------------------------------------------


def url_lines(base: str) -> list[str]:
    admin = os.environ.get("ADMIN_URL", "admin/")
    return [
        f"  API docs (Swagger)  {base}/docs",
        f"  OpenAPI schema      {base}/api/schema/",
        f"  API base            {base}/api/v1",
        f"  Back office         {base}/{admin}",
        f"  Wallet pages        {base}/wallet/",
        f"  Health              {base}/health/ready",
    ]


def banner_lines(base: str, demo_lines: list[str], health: str, healthy: bool) -> list[str]:
    """The banner: blocks of lines, each block a heading and lines indented by two spaces.

    The demo block comes from ``seed_demo --banner-file`` (each demo module's
    ``banner_lines()``); add lines about the running stack here.
    """
    heading = "ClickNBack is running" if healthy else "ClickNBack is running, but not all of it is healthy (see below)"
    blocks = [
        [heading, *url_lines(base)],
        [line.replace("{base}", base) for line in demo_lines],
        [
            f"Logs  {shown(LOG_DIR)}/ (one file per process); `make logs` follows them",
            "Stop  Ctrl-C stops every process and the embedded servers",
        ],
        [health],
    ]
    lines = [""]
    for block in blocks:
        if block:
            lines += [("  " + line) if line else "" for line in block] + [""]
    return lines


# --- the stack ------------------------------------------------------------------


def celery_worker_command(name: str, queue: str, *, concurrency: int, pool: str | None = None) -> list[str]:
    return [
        # Celery warns about running as root (in a container, say) on every start.
        PY, "-W", "ignore:You're running the worker with superuser privileges",
        "-m", "celery", "-A", "clicknback", "worker", "--loglevel", "INFO",
        "-Q", queue, "--concurrency", str(concurrency), "-n", f"{name}@%h",
        *(["--pool", pool] if pool else []),
    ]  # fmt: skip


def process_commands(host: str, port: int, data_dir: Path) -> dict[str, list[str]]:
    """Every long-running process of the stack by name: what `make run` starts (and what the
    scale-out test starts on each of its hosts)."""
    return {
        "web": [
            # Worker class and count come from gunicorn.conf.py (WEB_CONCURRENCY etc. override them).
            PY, "-m", "gunicorn", "clicknback.wsgi:application",
            "--bind", f"{host}:{port}", "--access-logfile", "-",
            # gunicorn's control socket lives in ~/.gunicorn, one per user: two stacks would share it.
            "--no-control-socket",
        ],
        # The verifications, the dispatcher (with the other beat tasks) and the webhook
        # deliveries each have a queue and workers of their own (clicknback/settings.py).
        "worker": celery_worker_command("worker", VERIFY_QUEUE, concurrency=2),
        "control": celery_worker_command("control", CONTROL_QUEUE, concurrency=1),
        # Threads: a delivery waits on a partner's server (10 s at most), so one that hangs
        # holds one thread, not the queue.
        "webhooks": celery_worker_command("webhooks", WEBHOOK_QUEUE, concurrency=8, pool="threads"),
        "beat": [
            PY, "-m", "celery", "-A", "clicknback", "beat", "--loglevel", "INFO",
            "--schedule", str(data_dir / "celerybeat-schedule"),
        ],
    }  # fmt: skip


class Stack:
    def __init__(self, stop: StopRequest):
        self.stop = stop
        self.base = f"http://{HOST}:{PORT}"
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.stack_log = LOG_DIR / "stack.log"
        self.started_services: list[str] = []  # embedded servers this run started
        self.setup: list[Child] = []  # one-off steps (servers, migrate, seed ...), any still running
        self.demo_lines: list[str] = []
        self.health = {"postgres": "ok", "redis": "ok"}
        self.missed = dict.fromkeys(self.health, 0)  # checks failed in a row
        self.last_check = 0.0
        self.processes = [
            Child(name, argv, LOG_DIR / f"{name}.log") for name, argv in process_commands(HOST, PORT, DATA_DIR).items()
        ]
        self.state = {child.name: "starting" for child in self.processes}
        self.failures = dict.fromkeys(self.state, 0)
        self.restart_at: dict[str, float] = {}

    # -- steps

    def run(self) -> int:
        self.check_port()  # before touching the logs of a run that may be using the port
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        for name in ("stack", *self.state):
            log = LOG_DIR / f"{name}.log"
            if log.exists():  # the previous run's log is kept, once
                log.replace(log.with_name(log.name + ".1"))
        self.event(f"make run: logs of this run in {LOG_DIR}")
        self.start_service("postgres", "DATABASE_URL", "PostgreSQL")
        self.start_service("redis", "REDIS_URL", "Redis")
        self.manage("migrating the database", "migrate", "--noinput")
        banner_file = DATA_DIR / "banner.txt"
        self.manage("seeding demo data", "seed_demo", "--banner-file", str(banner_file))
        self.demo_lines = banner_file.read_text(encoding="utf-8").splitlines()
        self.manage("collecting static files", "collectstatic", "--noinput")
        step(f"starting {', '.join(self.state)} (logs in {shown(LOG_DIR)}/)")
        for child in self.processes:
            child.start(self.env)
        step(f"waiting for the web server at {self.base}")
        self.wait_ready()
        self.watch()
        return 0

    def event(self, text: str) -> None:
        with open(self.stack_log, "a", encoding="utf-8") as log:
            log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [make run] {text}\n")

    def check_port(self) -> None:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, PORT))
            except OSError:
                raise StartupError(
                    f"{HOST}:{PORT} is already in use (another `make run`?); choose another: PORT={PORT + 1} make run"
                )

    def wait_step(self, child: Child, *, interruptible: bool = True) -> int:
        """Wait for a one-off step. One that is not interruptible (starting a server) is let
        finish, so that what it started can be stopped, unless it takes STOP_TIMEOUT more."""
        self.setup.append(child)
        deadline = None
        while child.running:
            if self.stop.requested:
                if interruptible:
                    raise Stopping
                deadline = deadline or time.monotonic() + STOP_TIMEOUT
                if time.monotonic() > deadline:
                    raise Stopping
            time.sleep(0.1)
        self.setup.remove(child)
        return child.returncode

    def start_service(self, name: str, variable: str, title: str) -> None:
        if os.environ.get(variable):
            step(f"using {title} at {variable}")
            return
        where = shown(devservices.DATA_DIR / name)
        step(f"starting {title} (embedded, data in {where})")
        child = Child(name, [PY, "-m", "clicknback.devservices", "--start", name], self.stack_log)
        child.start(self.env, stdout=subprocess.PIPE)
        code = self.wait_step(child, interruptible=False)
        output = child.proc.stdout.read().decode()
        child.proc.stdout.close()
        if code != 0:
            raise StartupError(
                f"{title} did not start ({child.exit_text()}); the end of {shown(self.stack_log)}:\n"
                + log_tail(self.stack_log)
            )
        info = json.loads(output)
        if not info["was_running"]:
            self.started_services.append(name)
        self.env[variable] = info["url"]
        if self.stop.requested:
            raise Stopping

    def manage(self, title: str, *args: str) -> None:
        step(title)
        self.event(f"manage.py {' '.join(args)}")
        child = Child(args[0], [PY, "manage.py", *args], self.stack_log).start(self.env)
        if self.wait_step(child) != 0:
            raise StartupError(
                f"{title} failed ({child.exit_text()}); the end of {shown(self.stack_log)}:\n"
                + log_tail(self.stack_log)
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.ready():
            if self.stop.requested:
                raise Stopping
            for child in self.processes:
                if not child.running:
                    raise StartupError(
                        f"{child.name} {child.exit_text()} while starting; the end of {shown(child.log)}:\n"
                        + log_tail(child.log)
                    )
            if time.monotonic() > deadline:
                say(f"The web server did not answer within {READY_TIMEOUT:.0f} s; see {shown(LOG_DIR / 'web.log')}.")
                break
            time.sleep(0.5)
        self.update()

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/health/ready", timeout=2) as response:  # noqa: S310 - loopback
                return response.status == 200
        except OSError:
            return False

    # -- watching

    def watch(self) -> None:
        shown_summary = None
        while not self.stop.requested:
            summary = self.summary()
            if summary != shown_summary:
                healthy = all(state == "ok" for state in (*self.state.values(), *self.health.values()))
                health = f"{time.strftime('%H:%M:%S')}  {summary}"
                for line in banner_lines(self.base, self.demo_lines, health, healthy):
                    say(line)
                shown_summary = summary
            time.sleep(0.5)
            self.update()
        raise Stopping

    def summary(self) -> str:
        """One line: "web ok · worker ok · control ok · webhooks ok · beat ok · postgres ok · redis ok"."""
        states = {**self.state, **self.health}
        return " · ".join(f"{name} {state}" for name, state in states.items())

    def update(self) -> None:
        now = time.monotonic()
        for child in self.processes:
            name = child.name
            if child.running:
                if self.state[name] == "starting" and (name != "web" or self.ready()):
                    self.state[name] = "ok"
                if now - child.started_at > 60:
                    self.failures[name] = 0
            elif name not in self.restart_at:
                child.signal_group(signal.SIGKILL)  # what it leaves behind (pool processes, say)
                self.failures[name] += 1
                delay = min(30, 2 ** (self.failures[name] - 1))
                self.restart_at[name] = now + delay
                self.state[name] = f"down ({child.exit_text()}; restarting)"
                self.event(f"{name} {child.exit_text()}; restarting in {delay} s (see {child.log.name})")
            elif now >= self.restart_at[name]:
                del self.restart_at[name]
                self.event(f"{name} restarted")
                child.start(self.env)
                self.state[name] = "starting" if name == "web" else "ok"  # web: until it answers
        if now - self.last_check >= CHECK_INTERVAL:
            self.last_check = now
            for name, check in (("postgres", self.postgres_ok), ("redis", self.redis_ok)):
                self.missed[name] = 0 if check() else self.missed[name] + 1
                state = "ok" if self.missed[name] < 2 else "down"  # one slow answer is not an outage
                if state != self.health[name]:
                    self.event(f"{name} {state}")
                self.health[name] = state

    def postgres_ok(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.env["DATABASE_URL"], connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except Exception:
            return False

    def redis_ok(self) -> bool:
        import redis

        try:
            client = redis.Redis.from_url(self.env["REDIS_URL"], socket_connect_timeout=2, socket_timeout=2)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except Exception:
            return False

    # -- stopping

    def shutdown(self) -> None:
        if self.stop.requested:
            say()  # the terminal has echoed ^C: start on a line of its own
        stop_children(self.processes + self.setup, self.stop)
        for name in reversed(self.started_services):
            step(f"stopping {'PostgreSQL' if name == 'postgres' else 'Redis'}")
            child = Child(name, [PY, "-m", "clicknback.devservices", "--stop", name], self.stack_log)
            child.start(self.env)
            try:
                child.proc.wait(60)
            except subprocess.TimeoutExpired:
                say(f"    {name} did not stop within 60 s; `make stop` stops it")


# --- entry points ---------------------------------------------------------------


def follow_logs() -> int:
    """``make logs``: tail -F every log file until Ctrl-C."""
    files = sorted(LOG_DIR.glob("*.log"))
    if not files:
        say(f"No logs in {shown(LOG_DIR)}/ yet: `make run` writes them there.")
        return 0
    with Foreground():
        stop = StopRequest()
        step(f"following {', '.join(path.name for path in files)} in {shown(LOG_DIR)}/ (Ctrl-C to stop)")
        tail = subprocess.Popen(["tail", "-n", "20", "-F", *map(str, files)], start_new_session=True)
        while tail.poll() is None and not stop.requested:
            time.sleep(0.2)
        if tail.poll() is None:
            tail.terminate()
            tail.wait(5)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", action="store_true", help="follow the log files of the running stack")
    if parser.parse_args(argv).logs:
        return follow_logs()
    with Foreground():
        stop = StopRequest()
        stack = Stack(stop)
        code = 0
        try:
            code = stack.run()
        except Stopping:
            code = 0
        except StartupError as exc:
            say(f"\n{exc}\n")
            code = 1
        finally:
            stack.shutdown()
        step("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
