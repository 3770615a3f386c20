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

Every value can be overridden from the environment or the command line.
"""

import multiprocessing
import os

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
