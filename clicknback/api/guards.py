"""Middleware that stops hostile requests before code that would fail on them.

* ``NulGuardMiddleware``: a NUL character in the path, the query string or a header.
  PostgreSQL cannot store or compare one, so a NUL that reached a filter (the admin's
  change lists, ``?status__exact=%00``) ended in a 500. Such a request names nothing and
  filters nothing: the API answers 422 ``VALIDATION_ERROR`` naming the parameter or
  header (404 for the path), every other page 400. (gunicorn already refuses a NUL in a
  header; this covers whatever server or proxy is in front.)
* ``HeadWithoutBodyMiddleware``: a ``HEAD`` response carries the headers of the ``GET``
  response (``Content-Length`` included) and no body, whatever server runs the app.
"""

from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse
from django.views.defaults import bad_request

from clicknback.api.exceptions import error_body

NUL = "\x00"
NUL_REASON = "Must not contain NUL characters."
NUL_REFUSED = SuspiciousOperation("A NUL character in the path, the query string or a header.")


def _is_api(request) -> bool:
    return request.path_info.startswith(("/api/", "/health"))


def _nul_parameter(request) -> str | None:
    query = request.META.get("QUERY_STRING", "")
    if "%00" not in query and NUL not in query:
        return None
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            return name.replace(NUL, "\\0")
    return None


def _nul_header(request) -> str | None:
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and NUL in value:
            return key[5:].replace("_", "-").title()
    return None


class NulGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info:
            if _is_api(request):
                return JsonResponse(error_body("NOT_FOUND", "No route matches this path."), status=404)
            return bad_request(request, NUL_REFUSED)
        name = _nul_parameter(request) or _nul_header(request)
        if name is not None:
            if _is_api(request):
                violations = [{"field": name, "reason": NUL_REASON}]
                body = error_body("VALIDATION_ERROR", f"{name}: {NUL_REASON}", {"violations": violations})
                return JsonResponse(body, status=422)
            return bad_request(request, NUL_REFUSED)
        return self.get_response(request)


class HeadWithoutBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method != "HEAD":
            return response
        if response.streaming:
            response.streaming_content = []
        else:
            if not response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response
