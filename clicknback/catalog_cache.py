"""A short-lived cache of catalog reads (active offers), invalidated by a version token.

``GET /offers/active`` is the same page for every caller and is read far more often than
offers or merchants change. Pages are kept in the Django cache (Redis) together with the
catalog version they were built from; every committed offer or merchant change replaces
the version (``catalog_changed``), so no process serves a page built before it. A page
also expires after ``CATALOG_CACHE_SECONDS`` (0 turns the cache off), which bounds the
staleness of a change made outside the services (a manual SQL fix, a restore).

The cache is an optimisation only: when Redis cannot be reached the page is built from
the database as if there were no cache.
"""

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "catalog:version"


def _new_version() -> str:
    return uuid.uuid4().hex


def catalog_changed() -> None:
    """Invalidate every cached catalog page once the current transaction commits."""
    transaction.on_commit(_replace_version)


def _replace_version() -> None:
    try:
        cache.set(VERSION_KEY, _new_version(), timeout=None)
    except Exception:  # noqa: BLE001 - a failed write must not fail the committed change
        logger.warning("Could not invalidate the catalog cache; pages expire on their own.", exc_info=True)


def cached_page(key: str, build: Callable[[], Any]) -> Any:
    """The value cached under ``key`` for the current catalog version, else ``build()``.

    One cache round trip on a hit (the version and the page are read together), two on a
    miss (the page is written back).
    """
    ttl = settings.CATALOG_CACHE_SECONDS
    if ttl <= 0:
        return build()
    page_key = f"catalog:page:{key}"
    try:
        found = cache.get_many([VERSION_KEY, page_key])
    except Exception:  # noqa: BLE001 - no cache: serve from the database
        logger.warning("Catalog cache unavailable; reading the database.", exc_info=True)
        return build()
    version = found.get(VERSION_KEY)
    cached = found.get(page_key)
    if version is not None and cached is not None and cached[0] == version:
        return cached[1]
    if version is None:
        version = _new_version()
        try:
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.get(VERSION_KEY)
        except Exception:  # noqa: BLE001
            return build()
    value = build()
    if version is not None:
        try:
            cache.set(page_key, (version, value), timeout=ttl)
        except Exception:  # noqa: BLE001
            logger.warning("Could not store a catalog page.", exc_info=True)
    return value
