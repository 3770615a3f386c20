import tempfile
from pathlib import Path

import pytest

from tests.faults.procs import Redis


@pytest.fixture
def private_redis():
    redis = Redis().start()
    yield redis
    redis.stop()


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="cnb-faults-") as path:
        yield Path(path)


@pytest.fixture
def processes():
    """Every process a test starts is registered here and killed at teardown."""
    started = []
    yield started
    for process in started:
        process.cleanup()
