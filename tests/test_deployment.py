"""Running behind a reverse proxy: the client's address and scheme come from X-Forwarded-*
only when PROXY_FIX says a proxy is there (otherwise anyone could forge them)."""

import pytest
from flask import request

from tests.conftest import make_app

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def client_as_seen_by(app):
    @app.get("/_seen")
    def seen():
        return f"{request.remote_addr} {request.scheme}"

    return app.test_client().get("/_seen", headers=FORWARDED).text


@pytest.mark.parametrize(
    ("proxy_fix", "seen"), [(True, "203.0.113.7 https"), (False, "127.0.0.1 http")]
)
def test_forwarded_headers_are_trusted_only_behind_a_proxy(database_url, proxy_fix, seen):
    app = make_app(database_url, PROXY_FIX=proxy_fix)
    assert client_as_seen_by(app) == seen


def test_proxy_fix_is_switched_on_from_the_environment(database_url, monkeypatch):
    monkeypatch.setenv("PROXY_FIX", "1")
    assert client_as_seen_by(make_app(database_url)) == "203.0.113.7 https"
