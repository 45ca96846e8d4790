"""`next` parameters lead only to pages on this site: the language switch and the login
(issue: `/language/en?next=%2F%09%2Fevil.example` redirected to //evil.example, and a newline
in `next` was a 500)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from seminars.web.redirects import local_path
from tests.conftest import log_in

# Each of these, followed by a browser, would leave the site or break the Location header.
HOSTILE = [
    "/\t/evil.example/phish",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\nenv;",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " /\t/evil.example",
    "/\x00/evil.example",
    "/\u2028/evil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_local_path_refuses_what_could_leave_the_site(target):
    assert local_path(target) is None


@pytest.mark.parametrize("target", ["/", "/organizer/seminars/new", "/seminars/x?a=1&b=2#top"])
def test_local_path_keeps_paths_on_this_site(target):
    assert local_path(target) == target


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_never_leaves_the_site_or_fails(client, target):
    response = client.get(f"/language/en?next={quote(target, safe='')}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_the_page(client):
    response = client.get("/language/en?next=" + quote("/seminars/x?a=1", safe=""))
    assert response.headers["Location"] == "/seminars/x?a=1"


@pytest.mark.parametrize("target", HOSTILE)
def test_login_next_never_leaves_the_site_or_fails(client, organizer_factory, target):
    organizer_factory(email="ewa@example.org", password="correct horse battery")
    url = f"/login?next={quote(target, safe='')}"
    response = client.post(
        url, data={"email": "ewa@example.org", "password": "correct horse battery"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/organizer/"
    # And when already logged in, the GET redirects at once.
    again = client.get(url)
    assert again.status_code == 302
    assert again.headers["Location"] == "/organizer/"


def test_logged_in_login_page_follows_a_local_next(client, organizer_factory):
    log_in(client, organizer_factory())
    response = client.get("/login?next=" + quote("/organizer/seminars/new", safe=""))
    assert response.headers["Location"] == "/organizer/seminars/new"
