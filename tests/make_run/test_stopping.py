"""The stop of `make run` (scripts/run_stack.py), in-process: a process group that ignores
SIGTERM is killed once the wait is over, and Ctrl-Cs during the wait do not cut it short."""

import importlib.util
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

# Ignores SIGTERM, and so does the process it starts (an ignored signal stays ignored
# across exec): the whole group has to be killed.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def run_stack():
    spec = importlib.util.spec_from_file_location("run_stack", BASE_DIR / "scripts" / "run_stack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def own_signal_handlers():
    """StopRequest installs its handlers in this process: put pytest's back afterwards."""
    signums = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGTSTP)
    previous = {signum: signal.getsignal(signum) for signum in signums}
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc")
def test_a_group_ignoring_sigterm_is_killed_after_the_wait_despite_a_second_ctrl_c(
    run_stack, own_signal_handlers, monkeypatch, tmp_path, capsys
):
    # given a process group that ignores SIGTERM, and a first Ctrl-C
    monkeypatch.setattr(run_stack, "STOP_TIMEOUT", 2.0)
    stubborn = run_stack.Child("stubborn", [sys.executable, "-c", STUBBORN], tmp_path / "stubborn.log")
    stubborn.start(dict(os.environ))
    deadline = time.monotonic() + 20
    while "ready" not in stubborn.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop = run_stack.StopRequest()
    os.kill(os.getpid(), signal.SIGINT)
    assert stop.requested

    # when the stop begins and Ctrl-C is pressed again half a second into it
    second = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    second.start()
    began = time.monotonic()
    run_stack.stop_children([stubborn], stop)
    took = time.monotonic() - began
    second.join()

    # then the wait ran its full length, the group got SIGKILL, and nothing was raised
    assert stop.repeats == 1
    assert 2.0 <= took < 10
    assert stubborn.returncode == -signal.SIGKILL
    assert not run_stack.group_alive(stubborn.proc.pid)
    out = capsys.readouterr().out
    assert "still stopping" in out
    assert "stubborn did not stop within 2 s: killed" in out
