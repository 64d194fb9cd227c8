"""gunicorn settings for `deploy/run web`; each can be changed from the environment.

Sizing (docs/deploy.md): every thread holds one database connection while CONN_MAX_AGE keeps
it open, so a web process needs WEB_CONCURRENCY x GUNICORN_THREADS connections.
"""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads per worker: a slow client holds a thread, not a whole process. Result downloads are
# redirects (S3) or handed to nginx (X-Accel-Redirect), so no thread streams a video.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (slow leaks in any library stay bounded).
max_requests = 2000
max_requests_jitter = 200
# Import the app once, in the master: a broken configuration (no SECRET_KEY, static files not
# collected) stops the server at start with its message instead of failing every worker.
preload_app = True
# The proxies whose X-Forwarded-* headers gunicorn trusts (comma-separated addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Requests are logged by the app as JSON with their request id (ops.logs); errors go to stderr.
accesslog = None
errorlog = "-"
# Callback URLs carry a token: gunicorn's own lines have it redacted (seedance_site.log_redaction).
logger_class = "seedance_site.log_redaction.GunicornLogger"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def child_exit(server, worker):
    """A worker's metric files stop counting as live when it exits (prometheus multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
