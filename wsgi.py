"""Entry point for gunicorn and `flask --app wsgi`."""

from seminars import create_app

app = create_app()
