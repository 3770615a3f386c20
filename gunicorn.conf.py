"""gunicorn settings, read from the working directory by every start of the web process:
``make run``, docker compose, the image and ``make bench``.

Sync workers, ``cores + 1`` of them. Measured on the project's 2-core machine
(bench/NOTEBOOK.md), they beat ``gthread`` (cores + 1 processes × 4 threads) on
every tail latency at equal or better throughput. A sync worker takes the next
connection from the kernel's accept queue only when it is free, so requests are served
in arrival order by whichever process is idle, whereas gthread workers keep their
kept-alive connections, some processes end up with more of them than others, and
threads of one process queue for the same interpreter lock. Three sync workers also
beat the usual ``2 × cores + 1`` = 5: a request here is mostly CPU with short database
waits, and more processes only take turns on the two cores. Sync workers do not keep
connections alive; in production a reverse proxy in front buffers slow clients.

Request limits: gunicorn refuses, before Django sees anything, a request line longer
than ``limit_request_line`` bytes (414), a header line longer than
``limit_request_field_size`` bytes or more than ``limit_request_fields`` headers (431).
The longest URL the API takes (a list with every filter) is a few hundred bytes, and a
bearer token about four hundred, so the limits leave room and stop hostile requests
early. Those refusals are written by gunicorn, not by Django: ``_json_error`` below
makes them the API's JSON error envelope instead of gunicorn's HTML page. The request
body has its own limit in Django (``REQUEST_BODY_MAX_BYTES``, 413).

Every value can be overridden from the environment or the command line.
"""

import json
import multiprocessing
import os
import tempfile

from gunicorn import util as gunicorn_util

_cores = multiprocessing.cpu_count()

worker_class = os.environ.get("WEB_WORKER_CLASS", "sync")
workers = int(os.environ.get("WEB_CONCURRENCY", _cores + 1))
# More than one thread turns a sync worker into a gthread worker.
threads = int(os.environ.get("WEB_THREADS", 1 if worker_class == "sync" else 4))
# A sync worker busy with one response longer than this is restarted: CSV exports stream
# for a while, so the limit is generous.
timeout = int(os.environ.get("WEB_TIMEOUT", 120))
graceful_timeout = 10
keepalive = 5
backlog = 2048

limit_request_line = int(os.environ.get("WEB_LIMIT_REQUEST_LINE", 4094))
limit_request_fields = int(os.environ.get("WEB_LIMIT_REQUEST_FIELDS", 64))
limit_request_field_size = int(os.environ.get("WEB_LIMIT_REQUEST_FIELD_SIZE", 8190))

_ERROR_CODES = {
    400: ("BAD_REQUEST", "The request is malformed."),
    403: ("FORBIDDEN", "The request is forbidden."),
    414: ("URI_TOO_LONG", f"The request line is longer than {limit_request_line} bytes."),
    417: ("EXPECTATION_FAILED", "The Expect header cannot be met."),
    431: (
        "REQUEST_HEADER_FIELDS_TOO_LARGE",
        f"A header is longer than {limit_request_field_size} bytes, or there are more than "
        f"{limit_request_fields} headers.",
    ),
    501: ("NOT_IMPLEMENTED", "The transfer coding is not supported."),
}


def _json_error(sock, status_int, reason, mesg):
    """gunicorn's refusals (bad request line, oversized headers, ...) in the API's envelope.

    Replaces ``gunicorn.util.write_error``, which the workers call to answer a request
    they could not parse; ``mesg`` (which may quote the request) is left out.
    """
    code, message = _ERROR_CODES.get(status_int, ("INTERNAL_SERVER_ERROR", "An unexpected error occurred."))
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    gunicorn_util.write_nonblock(sock, head.encode("latin-1") + body)


gunicorn_util.write_error = _json_error


# Prometheus (GET /metrics): every worker process writes its request metrics to files in
# this directory, read together at each scrape; a fresh directory for every start.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="clicknback-prometheus-")


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
