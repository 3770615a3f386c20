"""Security headers on HTML pages and API responses, and the configurable admin path."""

import importlib

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

HTML_PAGES = ["/wallet/login/", "/admin/login/", "/docs"]


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.mark.django_db
@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_page_sends_the_browser_hardening_headers(client, path):
    # given / when
    response = client.get(path)

    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_page_content_security_policy_forbids_inline_and_foreign_scripts(client, path):
    # given / when
    response = client.get(path)

    # then
    policy = _directives(response["Content-Security-Policy"])
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts == ["'self'"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_page_has_no_inline_script_the_policy_would_block(client, path):
    # given / when
    body = client.get(path).content.decode()

    # then: every <script> tag loads a file from this origin
    import re

    for tag in re.findall(r"<script\b[^>]*>", body, flags=re.IGNORECASE):
        assert "src=" in tag, f"inline script on {path}: {tag}"
        assert 'src="http' not in tag and "src='http" not in tag and 'src="//' not in tag


def test_api_responses_carry_a_deny_all_policy_and_nosniff(client):
    # given / when
    response = client.get("/health/live")

    # then
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_a_view_that_sets_its_own_policy_keeps_it(rf):
    # given
    from django.http import HttpResponse

    from clicknback.api.security import ContentSecurityPolicyMiddleware

    def view(request):
        response = HttpResponse("<p>ok</p>")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    # when
    response = ContentSecurityPolicyMiddleware(view)(rf.get("/"))

    # then
    assert response["Content-Security-Policy"] == "default-src 'none'"


@pytest.fixture
def admin_at(settings):
    """Reload the URLconf with ``ADMIN_URL`` set to the given path; restore it afterwards."""
    import clicknback.urls

    def use(path: str):
        with override_settings(ADMIN_URL=path):
            importlib.reload(clicknback.urls)
        clear_url_caches()

    yield use
    importlib.reload(clicknback.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_admin_path_follows_the_admin_url_setting(client, admin_at):
    # given
    admin_at("back-office-7f3a/")

    # when
    moved = client.get("/back-office-7f3a/login/")
    old = client.get("/admin/login/")

    # then
    assert moved.status_code == 200
    assert b"csrfmiddlewaretoken" in moved.content
    assert old.status_code == 404
