"""Without Chromium the browser tests skip with an install hint, except in CI, where they fail."""

import pytest
from _pytest.outcomes import Failed, Skipped

from portal.tests import conftest


@pytest.fixture
def no_chromium(monkeypatch):
    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    monkeypatch.setattr("os.access", lambda path, mode: False)


def test_chromium_is_found_through_chromium_path(monkeypatch, tmp_path):
    # given
    binary = tmp_path / "my-chromium"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("CHROMIUM_PATH", str(binary))

    # when / then
    assert conftest.find_chromium() == str(binary)


def test_no_chromium_is_reported_as_missing(no_chromium):
    assert conftest.find_chromium() is None


def test_missing_chromium_skips_with_the_install_command_outside_ci(monkeypatch):
    # given
    monkeypatch.delenv("CI", raising=False)

    # when
    with pytest.raises(Skipped) as skipped:
        conftest._unavailable(conftest.INSTALL_HINT)

    # then
    assert "apt-get install chromium" in str(skipped.value)


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_missing_chromium_fails_loudly_in_ci(monkeypatch, value):
    # given
    monkeypatch.setenv("CI", value)

    # when / then
    with pytest.raises(Failed, match="Browser tests cannot run in CI: no Chromium found"):
        conftest._unavailable(conftest.INSTALL_HINT)
