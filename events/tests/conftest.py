import pytest

from events.tests.support import Receiver


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_RETRY_SCHEDULE = [0.05, 0.05]
    settings.WEBHOOK_RETRY_JITTER = 0.0
    settings.WEBHOOK_TIMEOUT_SECONDS = 2.0
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3


@pytest.fixture
def receiver():
    started: list[Receiver] = []

    def start(**kwargs) -> Receiver:
        server = Receiver(**kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
