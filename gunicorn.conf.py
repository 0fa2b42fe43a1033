"""gunicorn settings for Preflight (``gunicorn -c gunicorn.conf.py wsgi:app``)."""

import multiprocessing
import os

bind = os.environ.get("PREFLIGHT_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("PREFLIGHT_WORKERS", min(4, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("PREFLIGHT_THREADS", 8))
timeout = 60
# No preload: each worker builds its own app (and, lazily, its own WebRTC loop) after the fork.
preload_app = False
accesslog = "-"
# Participant tokens are removed from the logged request line by the logger class below.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
logger_class = "preflight.gunicorn_logging.RedactingLogger"


def worker_exit(server, worker):
    """Close every WebRTC peer of the exiting worker (network check), then stop its loop thread."""
    from preflight.network.host import shutdown

    shutdown()
