from django.http import JsonResponse

from clicknback.api.exceptions import error_body


def api_not_found(request, *args, **kwargs):
    """Unknown routes under /api/ answer the contract's 404 envelope (never HTML)."""
    body = error_body(
        "NOT_FOUND", f"No route matches {request.path}.", {"resource_type": "route", "resource_id": request.path}
    )
    return JsonResponse(body, status=404)
