# Pushdeck in production: gunicorn with threads, whitenoise for static files, DEBUG off.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=0 \
    PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 1000 pushdeck
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY --chown=pushdeck:pushdeck . .
# The translations are compiled here from locale/*.po (the .mo files are not in the repository).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext >/dev/null \
    && find locale -name '*.po' -exec sh -c 'msgfmt --check --output-file="${1%.po}.mo" "$1"' _ {} \; \
    && apt-get purge -y -qq gettext >/dev/null && rm -rf /var/lib/apt/lists/*
# collectstatic needs settings to import; these throwaway values exist only for this build step.
RUN SECRET_KEY=build-only-secret-key-not-used-at-runtime-0123456789 \
    API_KEY_ENCRYPTION_KEYS=build-only-encryption-secret-not-used-0123456789 \
    python manage.py collectstatic --no-input -v 0 \
    && mkdir -p var && chown pushdeck:pushdeck var

USER pushdeck
EXPOSE 8000
# /healthz: the database and the cache answer (the worker's heartbeat is reported, not counted); see dashboard/health.py.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["python", "-m", "dashboard.healthcheck"]
# SECRET_KEY and API_KEY_ENCRYPTION_KEYS must come from the environment; settings refuse to start without them.
# One container runs both processes of the Procfile: the worker in the background, gunicorn in front.
# compose.yaml runs the same image as two containers instead, overriding the command: `python
# manage.py worker` for the worker, this line without the worker (nor migrate) for the web server.
CMD ["sh", "-c", "python manage.py check --deploy --fail-level WARNING && python manage.py migrate --no-input && { python manage.py worker & } && exec gunicorn -c dashboard/gunicorn_conf.py --bind 0.0.0.0:${PORT} dashboard.wsgi:application"]
