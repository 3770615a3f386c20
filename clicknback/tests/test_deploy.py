"""Deployment artefacts: production settings, docker compose and the Dockerfile."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parents[2]


def _production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DJANGO_ENV": "production", "DJANGO_ALLOWED_HOSTS": "clicknback.example"}, **extra)
    return env


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=_production_env(), capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_check_deploy_with_production_settings_is_clean():
    env = _production_env(DJANGO_SECRET_KEY="a-long-random-value-used-only-by-this-test-" + "k" * 30)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_compose_defines_the_whole_system(compose):
    assert set(compose["services"]) == {
        "postgres",
        "redis",
        "migrate",
        "web",
        "worker",
        "control",
        "webhooks",
        "beat",
    }


def test_compose_databases_have_healthchecks_and_postgres_a_volume(compose):
    services = compose["services"]
    assert services["postgres"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"]
    assert any("/var/lib/postgresql/data" in volume for volume in services["postgres"]["volumes"])


def test_compose_app_services_share_one_image_and_wait_for_migrations(compose):
    services = compose["services"]
    for name in ("web", "worker", "webhooks", "beat"):
        assert services[name]["image"] == "clicknback:latest"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_commands_name_real_modules(compose):
    import importlib

    services = compose["services"]
    web_app = services["web"]["command"][1]
    module, attr = web_app.split(":")
    assert hasattr(importlib.import_module(module), attr)
    for name in ("worker", "beat"):
        command = services[name]["command"]
        app_module = command[command.index("-A") + 1]
        assert importlib.import_module(app_module).celery_app
    assert "manage.py migrate" in " ".join(services["migrate"]["command"])


def test_compose_file_uses_only_what_compose_v1_29_knows(compose):
    # compose v1.29 (Debian's only compose) refuses env_file entries written as mappings
    # (`path:` / `required:`, compose v2.24+); variables come from compose's substitution.
    for name, service in compose["services"].items():
        for entry in service.get("env_file", []):
            assert isinstance(entry, str), f"{name}: env_file entry {entry!r}"


def test_compose_publishes_web_on_loopback_by_default(compose):
    assert compose["services"]["web"]["ports"] == ["${WEB_PUBLISH:-127.0.0.1:8000}:8000"]


def test_dockerfile_runs_as_an_unprivileged_user_with_a_healthcheck():
    lines = (BASE_DIR / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") for line in lines)


def test_dockerignore_keeps_secrets_history_and_local_state_out_of_the_image():
    ignored = (BASE_DIR / ".dockerignore").read_text().splitlines()
    assert {".env", ".git", ".venv", ".data", "tests"} <= set(ignored)


def test_dockerfile_installs_only_production_requirements():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile
    assert "requirements-dev" not in dockerfile
    assert "pgserver" not in (BASE_DIR / "requirements.txt").read_text()


def _gunicorn_config(**env) -> dict[str, str]:
    """What gunicorn makes of gunicorn.conf.py (its own --print-config) under ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEB_")}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "--print-config", "clicknback.wsgi:application"],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    pairs = (line.partition("=") for line in result.stdout.splitlines())
    return {name.strip(): value.strip() for name, _, value in pairs}


def test_gunicorn_runs_one_sync_worker_per_core_plus_one_by_default():
    # when
    config = _gunicorn_config()

    # then
    assert config["worker_class"] == "sync"
    assert config["workers"] == str(os.cpu_count() + 1)
    assert config["threads"] == "1"
    assert int(config["timeout"]) >= 120


def test_gunicorn_settings_follow_the_environment():
    # when
    config = _gunicorn_config(WEB_WORKER_CLASS="gthread", WEB_CONCURRENCY="2", WEB_THREADS="8")

    # then
    assert (config["worker_class"], config["workers"], config["threads"]) == ("gthread", "2", "8")
