import pytest
from django.test import Client


@pytest.fixture
def signed_in():
    """``signed_in(user)`` → a Django test client with a session for that user."""

    def make(user, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return make


# --- Browser tests: Playwright's sync API driving the system's Chromium ------------------

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "no Chromium found: install Debian's with `apt-get install chromium` "
    "(or point CHROMIUM_PATH at a Chromium binary); `playwright install` is not needed"
)


def find_chromium() -> str | None:
    import os
    import shutil

    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser")]
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def _unavailable(reason: str):
    """Skip on a laptop without Chromium; fail loudly in CI, which must run these tests."""
    import os

    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"Browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium per test module.

    Playwright's sync API runs an event loop in this thread, and Django refuses ORM
    calls from a thread with a running loop; the tests' own ORM calls are synchronous
    and safe, so the guard is lifted for the module and restored afterwards.
    """
    import os

    path = find_chromium()
    if path is None:
        _unavailable(INSTALL_HINT)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: pip install -r requirements-dev.txt")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(chromium, live_server):
    """``new_page()`` → a page in a fresh browser context (its own cookies), on the live server."""
    contexts = []

    def make(width: int = 1280, height: int = 900):
        context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot_dir():
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
