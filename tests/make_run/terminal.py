"""A command in a pseudo-terminal, as in a terminal window, and the processes it leaves.

The command runs in a session of its own whose controlling terminal is the pty, so a
Ctrl-C written to the pty makes the terminal driver send SIGINT to the foreground
process group, exactly as a keystroke does. A thread reads everything the command
shows, so it never blocks on a full terminal.
"""

import fcntl
import os
import re
import select
import signal
import subprocess
import termios
import threading
import time
from pathlib import Path

CTRL_C = b"\x03"


def _take_the_terminal() -> None:  # runs in the child, between fork and exec
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyRun:
    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]):
        self.master, replica = os.openpty()
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=replica,
            stdout=replica,
            stderr=replica,
            start_new_session=True,
            preexec_fn=_take_the_terminal,  # the one way to give a child a controlling terminal
        )
        os.close(replica)
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._closing.is_set():
            if not select.select([self.master], [], [], 0.2)[0]:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: every process has closed the terminal
                return
            if not data:
                return
            with self._lock:
                self._chunks.append(data)

    @property
    def screen(self) -> str:
        """Everything shown so far, with the terminal's CR LF turned into LF."""
        with self._lock:
            return b"".join(self._chunks).decode(errors="replace").replace("\r\n", "\n")

    def wait_for(self, pattern: str, deadline: float) -> re.Match:
        """Wait until the screen matches the regular expression, until time.monotonic() == deadline."""
        while True:
            match = re.search(pattern, self.screen, re.MULTILINE)
            if match:
                return match
            if time.monotonic() > deadline or self.proc.poll() is not None:
                time.sleep(0.2)  # the last output, if the process has just exited
                match = re.search(pattern, self.screen, re.MULTILINE)
                if match:
                    return match
                raise AssertionError(f"{pattern!r} never appeared; the screen:\n{self.screen[-4000:]}")
            time.sleep(0.1)

    def press_ctrl_c(self) -> None:
        os.write(self.master, CTRL_C)

    def signal_foreground_group(self, signum: int) -> None:
        os.killpg(os.tcgetpgrp(self.master), signum)

    def wait(self, timeout: float) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def close(self) -> None:
        """Kill whatever still runs in the terminal's session, then stop reading."""
        for pid in _session(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.wait(10)
        self._closing.set()
        self._reader.join()
        os.close(self.master)


# --- processes, from /proc ----------------------------------------------------------


def _stat(pid: str) -> list[str] | None:
    """Fields of /proc/<pid>/stat from the state on (field 3), or None if it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def _session(sid: int) -> list[int]:
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (fields := _stat(entry.name)) and fields[3] == str(sid)
    ]


def processes_of(data_dir: Path) -> dict[int, dict]:
    """Running processes that belong to a stack using data_dir: those with its
    CLICKNBACK_DATA_DIR in their environment (everything the stack starts inherits it),
    data_dir on their command line (the embedded PostgreSQL) or in the embedded Redis's
    pid file (Redis overwrites its command line and environment with its title);
    zombies are left out. Processes of PostgreSQL other than the postmaster are found
    through its process group (still_running)."""
    marker = f"CLICKNBACK_DATA_DIR={data_dir}".encode()
    try:
        redis_pid = (data_dir / "redis" / "redis.pid").read_text().strip()
    except OSError:
        redis_pid = None
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(entry.name)
        if not fields or fields[0] == "Z":
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            environ = []
        if marker in environ or str(data_dir).encode() in cmdline or entry.name == redis_pid:
            found[int(entry.name)] = {
                "cmdline": cmdline.replace(b"\0", b" ").decode(errors="replace").strip(),
                "pgid": int(fields[2]),
                "started": fields[19],
            }
    return found


def still_running(snapshot: dict[int, dict]) -> list[str]:
    """What of a snapshot of processes still runs: the same processes (pid and start
    time), or anything in one of their process groups."""
    left = []
    groups = {info["pgid"] for info in snapshot.values()}
    for pid, info in snapshot.items():
        fields = _stat(str(pid))
        if fields and fields[0] != "Z" and fields[19] == info["started"]:
            left.append(f"{pid} {info['cmdline']}")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in snapshot:
            fields = _stat(entry.name)
            if fields and fields[0] != "Z" and int(fields[2]) in groups:
                left.append(f"{entry.name} (process group {fields[2]})")
    return left
