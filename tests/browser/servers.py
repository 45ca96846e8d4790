"""Servers for the sign-in browser tests: the app on http://localhost:<free port> (WebAuthn
needs a host name, not an IP address, as its relying party) and a real OpenID Connect
provider (npm's oidc-provider, tests/oidc/) on another free port."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from seminars import create_app
from seminars.extensions import db
from tests.browser.conftest import LiveServer, _unavailable

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"


@contextmanager
def local_app(tmp_path: Path, **config) -> Iterator[LiveServer]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'signin.sqlite3'}",
            "SECRET_KEY": "sign-in-browser-tests",
            "WTF_CSRF_ENABLED": True,
            "SERVER_NAME": None,
            **config,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://localhost:{server.server_port}"
    app.config["BASE_URL"] = url
    with app.app_context():
        db.create_all()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


def _install_provider() -> None:
    if (OIDC_DIR / "node_modules" / "oidc-provider").exists():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        _unavailable("node and npm are needed for the OpenID Connect provider (tests/oidc)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True)


@contextmanager
def oidc_provider(
    redirect_uris: list[str], post_logout_redirect_uris: list[str], accounts: dict[str, dict]
) -> Iterator[str]:
    """Start the provider; yields its issuer URL."""
    _install_provider()
    environment = {
        **os.environ,
        "REDIRECT_URIS": ",".join(redirect_uris),
        "POST_LOGOUT_REDIRECT_URIS": ",".join(post_logout_redirect_uris),
        "ACCOUNTS": json.dumps(accounts),
    }
    process = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=OIDC_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        if not line.startswith("listening "):
            pytest.fail(f"the OpenID Connect provider did not start: {line!r}")
        yield line.removeprefix("listening ")
    finally:
        process.terminate()
        process.wait(timeout=10)
