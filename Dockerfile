FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs a key at build time only; the real one comes from the environment.
RUN DJANGO_SECRET_KEY=build-only-not-secret DATABASE_URL=postgres://x@localhost/x \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 clicknback
USER clicknback
EXPOSE 8000
CMD ["gunicorn", "clicknback.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
