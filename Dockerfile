# One image for web, worker, beat and migrate (docker-compose.yml): production requirements
# only, static files collected at build, run as an unprivileged user. No secret is baked
# in: DJANGO_SECRET_KEY and the database and Redis URLs come from the environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DJANGO_ENV=production

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
# .dockerignore keeps .git, .env, virtualenvs, tests, benchmarks and docs out.
COPY . .
# collectstatic needs a key at build time only; the real one comes from the environment.
RUN DJANGO_SECRET_KEY=build-only-not-secret DATABASE_URL=postgres://x@localhost/x \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin clicknback
USER clicknback
EXPOSE 8000
# The web server's liveness (no I/O); compose gives worker, beat and migrate their own.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]
CMD ["gunicorn", "clicknback.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
