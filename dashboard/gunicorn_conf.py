"""gunicorn settings. Each thread serves one request at a time, and a page waits for the flows API
at most 2 x FLOWS_API_TIMEOUT; `make run` serves the sandbox from a gunicorn process of its own."""

import os

from gunicorn.glogging import Logger

from flows_app.logging import mask_path

# A process per core: one interpreter lock each, so the pages' own work (templates, decoding the
# API's answers) uses every core; threads within each wait on the API side by side. What the
# processes must see alike lives in the "shared" cache (Redis, or the database: settings.CACHES).
# The load test's 20 users, with SQLite's write-ahead log: p95 1,130 -> 608 ms (docs/BENCHMARKS.md).
workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread"
timeout = 60
# Off unless asked for: Django logs every request itself, with the user and the budget it spent
# (flows_app/logging.py). The format has no headers, so no Authorization value can reach it.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


class MaskedAccessLog(Logger):
    """gunicorn's access log with the secrets of a path masked, as in Django's own lines."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U"):
            atoms[name] = mask_path(atoms[name])
        return atoms


logger_class = MaskedAccessLog
