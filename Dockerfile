# Production image: gunicorn serving peachcomms.wsgi on :8000; the same image runs the
# Celery worker (docker-compose.yml). DEBUG is off, so SECRET_KEY must be given at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files (admin, Swagger UI) are collected into the image and served by whitenoise.
# The key below exists only for this build step; it is not kept in the image.
RUN DEBUG=false SECRET_KEY=collectstatic-at-build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/var/celery \
    && chown -R app:app /app/media /app/var

USER app

# CONN_MAX_AGE applies only with DATABASE_POOL=false: by default each process keeps its
# connections in Django's pool (a new one per request costs more than a whole send).
ENV DEBUG=false \
    CONN_MAX_AGE=60 \
    WEB_CONCURRENCY=3 \
    GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000 --timeout 60 --graceful-timeout 30 --keep-alive 5 --max-requests 2000 --max-requests-jitter 200 --access-logfile - --error-logfile -"

EXPOSE 8000
CMD ["gunicorn", "peachcomms.wsgi"]
