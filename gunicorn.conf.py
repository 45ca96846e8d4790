"""gunicorn settings for `gunicorn wsgi:app` (read from the working directory).

Every value can be changed from the environment, so one file serves a laptop, a
systemd unit and a platform that hands out $PORT. See docs/deploy.md.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
# Requests spend most of their time in Python, so about one worker per core (plus one
# that can run while another waits on the database) is the throughput sweet spot.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request that takes longer than this is stuck (a lock, a dead database): restart the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Keep-alive only matters behind a proxy that reuses connections (nginx upstream keepalive).
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
# Load the app once in the master: a new or recycled worker is a fork (milliseconds), not a
# fresh import of Flask, SQLAlchemy and the app (about 0.7 s of CPU, taken from requests).
# Code changes then need a restart; a HUP only re-forks workers from the loaded code.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# "-" is stdout (journald, platform logs); GUNICORN_ACCESS_LOG=off for benchmarks.
_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "-")
accesslog = None if _access_log == "off" else _access_log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No runtime control socket: it sits at one fixed path, which two instances on one host share.
control_socket_disable = True


def post_fork(server, worker):
    """A worker must never use a database connection opened before the fork."""
    if not preload_app:
        return
    from seminars.extensions import db

    app = server.app.wsgi()
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return  # another app served with this file (bench/baseline.py)
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
