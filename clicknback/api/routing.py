"""Routes that answer with and without a trailing slash, without redirecting."""

import re

from django.urls import re_path


def route(pattern: str, view, name: str | None = None):
    """``route("users/<uuid:id>", View.as_view())`` matches ``users/<id>`` and ``users/<id>/``.

    Path converters supported: ``<uuid:name>``, ``<str:name>`` and ``<slug:name>``.
    """
    converters = {
        "uuid": r"[^/]+",
        "str": r"[^/]+",
        "slug": r"[-a-zA-Z0-9_]+",
    }

    def _convert(match: re.Match) -> str:
        kind, arg = match.group(1), match.group(2)
        return f"(?P<{arg}>{converters[kind]})"

    regex = re.sub(r"<(\w+):(\w+)>", _convert, pattern.strip("/"))
    return re_path(rf"^{regex}/?$", view, name=name)
