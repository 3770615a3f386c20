"""Hosts for the scale-out test: network namespaces on one machine, joined by a switch.

Each host is a network namespace with only loopback and one veth interface whose other
end is a port of a bridge in a "switch" namespace; the hosts have addresses on one
private subnet and no route beyond it, so they talk to each other only over that
network, as separate machines on one LAN would. Processes still share the file system
and the process table (they are not containers); the test uses TCP only between hosts.
"""

import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

SUBNET = "10.77.0"


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL's binaries (``/usr/lib/postgresql/<version>/bin``)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def available() -> str | None:
    """Why the scale-out test cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (ip netns)"
    for tool in ("ip", "pgbouncer", "runuser"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            return f"needs {tool}"
    if postgres_bin() is None:
        return "needs a Debian PostgreSQL (/usr/lib/postgresql/<version>/bin)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "needs the postgres system user"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


class Network:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.switch = f"{prefix}-sw"
        self.hosts: dict[str, str] = {}  # name -> address
        _ip("netns", "add", self.switch)
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")

    def namespace(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def add_host(self, name: str, number: int) -> str:
        namespace, address = self.namespace(name), f"{SUBNET}.{number}"
        port = f"p{number}"
        _ip("netns", "add", namespace)
        _ip("-n", namespace, "link", "set", "lo", "up")
        _ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        _ip("-n", self.switch, "link", "set", port, "master", "br0")
        _ip("-n", self.switch, "link", "set", port, "up")
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        self.hosts[name] = address
        return address

    def run(self, host: str, argv: list[str], *, env: dict[str, str], log: Path, user: str | None = None):
        """Start ``argv`` on ``host`` (in a session of its own), output to ``log``."""
        prefix = ["ip", "netns", "exec", self.namespace(host)]
        if user:
            prefix += ["runuser", "-u", user, "--"]
        with open(log, "ab") as out:
            return subprocess.Popen(
                [*prefix, *argv], env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=Path(__file__).resolve().parents[2],
            )  # fmt: skip

    def pids(self, host: str) -> list[int]:
        out = subprocess.run(
            ["ip", "netns", "pids", self.namespace(host)], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        return [int(pid) for pid in out.split()]

    def kill_host(self, host: str) -> int:
        """SIGKILL every process of the host, then unplug it: the machine is gone."""
        pids = self.pids(host)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "-n", self.switch, "link", "del", f"p{self.hosts[host].rsplit('.', 1)[1]}"], check=False)
        return len(pids)

    def destroy(self) -> None:
        for host in list(self.hosts):
            for _ in range(2):
                for pid in self.pids(host):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.2)
            subprocess.run(["ip", "netns", "del", self.namespace(host)], check=False, capture_output=True)
        subprocess.run(["ip", "netns", "del", self.switch], check=False, capture_output=True)
