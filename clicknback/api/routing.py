"""Routes that answer with and without a trailing slash, without redirecting."""

import re
from collections.abc import Callable

from django.http import HttpResponseBase
from django.urls import URLPattern, re_path


def route(pattern: str, view: Callable[..., HttpResponseBase], name: str | None = None) -> URLPattern:
    """``route("users/<uuid:id>", View.as_view())`` matches ``users/<id>`` and ``users/<id>/``.

    Path converters supported: ``<uuid:name>``, ``<str:name>``, ``<slug:name>`` and ``<path:name>``.
    """
    converters = {
        "uuid": r"[^/]+",
        "str": r"[^/]+",
        "slug": r"[-a-zA-Z0-9_]+",
        # any text, slashes included (an identifier chosen by a client); the shortest
        # match, so a trailing slash is still the route's own
        "path": r".+?",
    }

    def _convert(match: re.Match[str]) -> str:
        kind, arg = match.group(1), match.group(2)
        return f"(?P<{arg}>{converters[kind]})"

    regex = re.sub(r"<(\w+):(\w+)>", _convert, pattern.strip("/"))
    # name=None is re_path's own default (an unnamed route); django-stubs types it as str.
    return re_path(rf"^{regex}/?$", view, name=name)  # type: ignore[arg-type]
