"""Content-Security-Policy for HTML pages (Django 5.2 has no built-in CSP support).

Every ``text/html`` response gets the policy from ``settings.CONTENT_SECURITY_POLICY``
unless the view already set one. Scripts may only come from this origin: no inline
script and no ``eval`` are allowed, so an injected ``<script>`` does not run. Inline
styles stay allowed because the Django admin and Swagger UI use a few of them, and a
style cannot execute code. JSON responses get a deny-everything policy, since nothing
in them should ever be rendered as a document.
"""

from django.conf import settings

DEFAULT_HTML_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.html_policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_HTML_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER in response:
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith("text/html"):
            response[HEADER] = self.html_policy
        elif content_type.startswith("application/json"):
            response[HEADER] = API_POLICY
        return response
