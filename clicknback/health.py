"""Liveness and readiness probes (no auth, no prefix)."""

import logging
from functools import wraps

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from clicknback.api.exceptions import error_body

logger = logging.getLogger(__name__)
_broker_client = None


def _broker():
    global _broker_client
    if _broker_client is None:
        _broker_client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1, health_check_interval=0
        )
    return _broker_client


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("Readiness: database check failed", exc_info=True)
        connection.close_if_unusable_or_obsolete()
        return False


def check_broker() -> bool:
    try:
        return bool(_broker().ping())
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("Readiness: broker check failed", exc_info=True)
        return False


def get_only(view):
    """Answer other methods with the contract's 405 envelope.

    Probes take no cookies and change nothing, so they are exempt from CSRF: without that,
    a ``POST`` met Django's CSRF check first and got its 403 HTML page instead of the 405.
    """

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse(
                error_body("METHOD_NOT_ALLOWED", f"Method {request.method} is not allowed."), status=405
            )
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return wrapped


@get_only
def live(request):
    return JsonResponse({"status": "alive"})


@get_only
def ready(request):
    checks = {
        "database": "ok" if check_database() else "unavailable",
        "broker": "ok" if check_broker() else "unavailable",
    }
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ready" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )
