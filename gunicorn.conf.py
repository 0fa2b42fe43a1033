"""gunicorn settings for Preflight (``gunicorn -c gunicorn.conf.py wsgi:app``)."""

import multiprocessing
import os

bind = os.environ.get("PREFLIGHT_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("PREFLIGHT_WORKERS", min(4, multiprocessing.cpu_count())))

# Rate limits kept in memory are per process: with N workers a client gets N times the limit
# (17 wrong passwords a minute got through a limit of 10). Several workers need a shared store.
_storage = os.environ.get("PREFLIGHT_RATELIMIT_STORAGE_URL", "memory://")
if workers > 1 and _storage.startswith("memory://"):
    if os.environ.get("PREFLIGHT_ENV", "development") == "production":
        raise SystemExit(
            f"refusing to start {workers} workers with rate limits in memory (each worker would count alone): "
            "set PREFLIGHT_RATELIMIT_STORAGE_URL=redis://host:6379/0, or PREFLIGHT_WORKERS=1"
        )
    print(
        f"[preflight] rate limits are in memory: running 1 worker instead of {workers} "
        "(set PREFLIGHT_RATELIMIT_STORAGE_URL=redis://... for more)",
        flush=True,
    )
    workers = 1
worker_class = "gthread"
threads = int(os.environ.get("PREFLIGHT_THREADS", 8))
timeout = 60
# A deploy (SIGTERM, HUP) lets each worker finish its running network checks before it exits
# (worker_exit below waits for them); gunicorn must not kill it sooner: longer than the check limit.
CHECK_TIME_LIMIT = int(os.environ.get("PREFLIGHT_CHECK_TIME_LIMIT", 40))
graceful_timeout = CHECK_TIME_LIMIT + 15
# No preload: each worker builds its own app (and, lazily, its own WebRTC loop) after the fork.
preload_app = False
accesslog = "-"
# Participant tokens are removed from the logged request line by the logger class below.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
logger_class = "preflight.gunicorn_logging.RedactingLogger"


def worker_exit(server, worker):
    """Let the worker's running network checks finish (at most the check time limit), then close its peers."""
    from preflight.network.host import shutdown
    from preflight.network.registry import wait_until_idle

    wait_until_idle(CHECK_TIME_LIMIT)
    shutdown()


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, a dead worker's live-check gauge stops counting (/metrics)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
