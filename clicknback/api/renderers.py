"""orjson-backed JSON renderer: the serializers already produce strings for money."""

from decimal import Decimal

import orjson
from rest_framework.renderers import JSONRenderer


def _default(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "__html__") or isinstance(value, str):
        return str(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS)
