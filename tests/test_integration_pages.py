"""The organiser's pages for API tokens and webhooks: a token is shown once and stored
hashed, revoking stops it, other organisations' pages are not found, webhook addresses
must be https, and the test event reaches a real receiver."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from seminars.extensions import db
from seminars.models import ApiToken, AuditEvent, WebhookEndpoint
from tests.api_helpers import bearer
from tests.conftest import log_in
from tests.webhook_receiver import Receiver


def test_a_token_is_shown_once_and_stored_hashed(client, organizer_factory):
    organizer = organizer_factory()
    organization = organizer.organizations[0]
    log_in(client, organizer)
    url = f"/organizer/organizations/{organization.id}/api"
    response = client.post(url, data={"name": "CRM", "scopes": ["seminars:read"]})
    assert response.status_code == 200
    token = re.search(r">(sem_[^<]+)</textarea>", response.get_data(as_text=True))[1]
    row = db.session.scalar(select(ApiToken))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in client.get(url).get_data(as_text=True)
    assert client.get("/api/v1/seminars", headers=bearer(token)).status_code == 200
    client.post(f"{url}/tokens/{row.id}/revoke")
    assert client.get("/api/v1/seminars", headers=bearer(token)).status_code == 401
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["api_token_created", "api_token_revoked"]


def test_a_token_needs_a_name_and_a_scope(client, organizer_factory):
    organizer = organizer_factory()
    log_in(client, organizer)
    url = f"/organizer/organizations/{organizer.organizations[0].id}/api"
    response = client.post(url, data={"name": "  "})
    assert response.status_code == 422
    assert db.session.scalar(select(ApiToken)) is None


def test_another_organisations_pages_are_not_found(client, organizer_factory, organization_factory):
    organizer = organizer_factory()
    other = organization_factory("Vision")
    db.session.commit()
    log_in(client, organizer)
    for path in ("api", "webhooks"):
        assert client.get(f"/organizer/organizations/{other.id}/{path}").status_code == 404
    response = client.post(
        f"/organizer/organizations/{other.id}/api", data={"name": "x", "scopes": ["seminars:read"]}
    )
    assert response.status_code == 404


def test_a_webhook_must_be_https(client, organizer_factory):
    organizer = organizer_factory()
    log_in(client, organizer)
    url = f"/organizer/organizations/{organizer.organizations[0].id}/webhooks"
    for address in ("http://crm.example.org/hook", "ftp://x", "https://", "not a url"):
        response = client.post(url, data={"url": address, "events": ["registration.created"]})
        assert response.status_code == 422, address
    assert db.session.scalar(select(WebhookEndpoint)) is None
    response = client.post(
        url, data={"url": "https://crm.example.org/hook", "events": ["registration.created"]}
    )
    assert response.status_code == 303
    assert db.session.scalar(select(WebhookEndpoint.url)) == "https://crm.example.org/hook"


def test_the_test_event_reaches_the_receiver(client, organizer_factory):
    receiver = Receiver()
    receiver.start()
    try:
        organizer = organizer_factory()
        organization = organizer.organizations[0]
        log_in(client, organizer)
        base = f"/organizer/organizations/{organization.id}/webhooks"
        added = client.post(base, data={"url": receiver.url, "events": ["seminar.changed"]})
        page = added.headers["Location"]
        assert "whsec_" in client.get(page).get_data(as_text=True)
        client.post(f"{page}/test")
        (received,) = receiver.received
        assert received.headers["webhook-id"].startswith("msg_")
        assert b'"type":"webhook.test"' in received.body
        assert "Levererad" in client.get(page).get_data(as_text=True)
    finally:
        receiver.stop()
