from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from clicknback.api.exceptions import error_body


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Unknown routes under /api/ and /health/ answer the contract's 404 envelope (never HTML,
    whatever the method: there is nothing to protect from cross-site requests here)."""
    body = error_body(
        "NOT_FOUND", f"No route matches {request.path}.", {"resource_type": "route", "resource_id": request.path}
    )
    return JsonResponse(body, status=404)
