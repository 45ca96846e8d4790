"""Pages with attendees' personal data, sign-in pages and secret-link pages are kept out of
caches and search engines (Cache-Control: no-store, X-Robots-Tag: noindex); public pages
stay indexable. Every organiser page: `tests/test_authorization.py`."""

from __future__ import annotations

import pytest

from seminars import signup
from seminars.extensions import db
from tests.conftest import attendee, register


def assert_private(response, url: str) -> None:
    assert response.headers.get("Cache-Control") == "no-store", url
    assert "noindex" in response.headers.get("X-Robots-Tag", ""), url


@pytest.fixture
def own(app, organization_factory, organizer_factory, seminar_factory):
    organization = organization_factory("OFR")
    seminar = seminar_factory(organization=organization)
    registration = register(seminar, attendee("anna@example.org"))
    organizer = organizer_factory(organization)
    db.session.commit()
    return organization, seminar, registration, organizer


def test_sign_in_and_secret_link_pages_are_no_store_and_noindex(client, own):
    _organization, _seminar, registration, _organizer = own
    token = signup.manage_token(registration)
    for url in ["/login", "/password/forgot", "/password/reset/not-a-token", f"/r/{token}"]:
        assert_private(client.get(url), url)


def test_public_pages_stay_indexable(client, own):
    _organization, seminar, _registration, _organizer = own
    for url in ["/", f"/seminars/{seminar.slug}"]:
        response = client.get(url)
        assert response.status_code == 200
        assert "X-Robots-Tag" not in response.headers, url
