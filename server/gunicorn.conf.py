# gunicorn settings for clusterkg (used by `clusterkg serve --workers N` and by
# `gunicorn -c server/gunicorn.conf.py 'clusterkg.web:create_app()'`).
# Query time limits are enforced by clusterkg's own query processes (CLUSTERKG_QUERY_TIMEOUT);
# gunicorn's timeout is only a backstop for a stuck request and must be longer.
import os

bind = os.environ.get("CLUSTERKG_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("CLUSTERKG_WEB_WORKERS", "2"))
threads = int(os.environ.get("CLUSTERKG_WEB_THREADS", "8"))
worker_class = "gthread"
timeout = int(float(os.environ.get("CLUSTERKG_QUERY_TIMEOUT", "10")) * 3 + 30)
graceful_timeout = 10
accesslog = "-"
