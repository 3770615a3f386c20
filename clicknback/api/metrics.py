"""Request metrics for Prometheus: requests by route and status, latency histograms.

Labelled by the URL pattern (``api/v1/purchases/<uuid:purchase_id>``), never by the raw
path, so the number of series stays bounded whatever clients send. Under gunicorn each
worker process counts its own; with ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py
sets it) prometheus-client shares them through files so that one scrape sees all.
"""

from time import perf_counter

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "clicknback_http_requests_total",
    "HTTP requests served, by route, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "clicknback_http_request_duration_seconds",
    "Time to serve an HTTP request, by route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.route or match.view_name or "unmatched"


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = perf_counter()
        response = self.get_response(request)
        route = route_of(request)
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        LATENCY.labels(route, method).observe(perf_counter() - started)
        return response
