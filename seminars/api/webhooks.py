"""Webhooks: an organisation's endpoints, and events queued in the transaction of the change
(the webhook outbox, as the mail outbox: a change and its deliveries land together or not
at all). Delivery is the worker's (deliveries.py).

Events: registration.created, .cancelled, .promoted, .changed; seminar.published, .changed,
.cancelled. Each is one row per endpoint that wants it, with the payload as it was at the
change: `{"type", "timestamp", "data"}`, where data holds the ids and the changed resource
(the API's own). Answers to health-data questions only for organisations that share them.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Connection, insert, or_, select, update

from seminars.accounts import sealing
from seminars.api import resources
from seminars.extensions import db
from seminars.models import (
    Organization,
    Organizer,
    Registration,
    Seminar,
    WebhookDelivery,
    WebhookEndpoint,
    seminar_cohosts,
    utcnow,
)
from seminars.organising import audit

REGISTRATION_EVENTS = (
    "registration.created",
    "registration.cancelled",
    "registration.promoted",
    "registration.changed",
)
SEMINAR_EVENTS = ("seminar.published", "seminar.changed", "seminar.cancelled")
EVENTS = REGISTRATION_EVENTS + SEMINAR_EVENTS
TEST_EVENT = "webhook.test"
MAX_ENDPOINTS = 10
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})

_endpoint = WebhookEndpoint.__table__.c


class InvalidUrl(ValueError):
    """Not an address deliveries may go to; `.reason` is "format" or "https"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_url(url: str, *, allow_local_http: bool) -> str:
    """An https:// address (plain http only to this machine, in development and tests)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise InvalidUrl("format") from None
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        raise InvalidUrl("format")
    if any(character.isspace() for character in url) or len(url) > 500:
        raise InvalidUrl("format")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and allow_local_http and parts.hostname in LOCAL_HOSTS:
        return url
    raise InvalidUrl("https")


def new_secret() -> str:
    """`whsec_` and 24 random bytes in base64, as Standard Webhooks writes a secret."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_of(endpoint: WebhookEndpoint) -> str:
    return sealing.unseal(endpoint.sealed_secret)


def add_endpoint(
    organization: Organization, url: str, events: list[str], description: str, by: Organizer
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        organization_id=organization.id,
        url=url,
        events=[event for event in EVENTS if event in events],
        description=description.strip(),
        sealed_secret=sealing.seal(new_secret()),
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        by, "webhook_added", organization_id=organization.id, detail={"webhook": endpoint.url}
    )
    return endpoint


def update_endpoint(
    endpoint: WebhookEndpoint, url: str, events: list[str], description: str, by: Organizer
) -> None:
    endpoint.url = url
    endpoint.events = [event for event in EVENTS if event in events]
    endpoint.description = description.strip()
    audit.record(
        by,
        "webhook_changed",
        organization_id=endpoint.organization_id,
        detail={"webhook": endpoint.url},
    )


def set_enabled(endpoint: WebhookEndpoint, enabled: bool, by: Organizer) -> None:
    """Turn an endpoint off, or on again: its held deliveries then go out, in order."""
    endpoint.enabled = enabled
    endpoint.failing_since = None
    endpoint.disabled_at = None if enabled else utcnow()
    if enabled:
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .values(next_attempt_at=utcnow())
        )
    action = "webhook_enabled" if enabled else "webhook_disabled"
    audit.record(
        by, action, organization_id=endpoint.organization_id, detail={"webhook": endpoint.url}
    )


def remove_endpoint(endpoint: WebhookEndpoint, by: Organizer) -> None:
    audit.record(
        by,
        "webhook_removed",
        organization_id=endpoint.organization_id,
        detail={"webhook": endpoint.url},
    )
    db.session.delete(endpoint)


def endpoints_of(organization_id: int) -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organization_id == organization_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def deliveries_of(endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookDelivery]:
    """The endpoint's deliveries, newest first."""
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# ------------------------------------------------------------------------------ the events


def _endpoints_for(connection: Connection, seminar_id: int, event: str) -> list:
    """(endpoint id, shares health answers) of the enabled endpoints, of the seminar's host
    and co-hosts, that want this event."""
    hosts = select(Seminar.organization_id).where(Seminar.id == seminar_id)
    cohosts = select(seminar_cohosts.c.organization_id).where(
        seminar_cohosts.c.seminar_id == seminar_id
    )
    rows = connection.execute(
        select(_endpoint.id, _endpoint.events, Organization.share_health_answers)
        .join(Organization, Organization.id == _endpoint.organization_id)
        .where(
            _endpoint.enabled,
            or_(_endpoint.organization_id.in_(hosts), _endpoint.organization_id.in_(cohosts)),
        )
    )
    return [(row.id, row.share_health_answers) for row in rows if event in (row.events or [])]


def _connection(connection: Connection | None) -> Connection:
    if connection is not None:
        return connection
    db.session.flush()
    return db.session.connection()


def _insert(connection: Connection, rows: list[dict]) -> None:
    if rows:
        connection.execute(insert(WebhookDelivery.__table__), rows)


def _row(
    endpoint_id: int,
    message_id: str,
    event: str,
    key: str,
    payload: dict,
    now: datetime,
    registration_id: int | None = None,
) -> dict:
    return {
        "endpoint_id": endpoint_id,
        "registration_id": registration_id,
        "message_id": message_id,
        "event_type": event,
        "ordering_key": key,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }


def message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def registration_event(
    event: str,
    registration_id: int,
    seminar_id: int,
    *,
    connection: Connection | None = None,
    now: datetime | None = None,
) -> int:
    """Queue `event` about a registration for every endpoint that wants it, in the
    caller's transaction; returns how many deliveries were queued."""
    connection = _connection(connection)
    endpoints = _endpoints_for(connection, seminar_id, event)
    if not endpoints:
        return 0
    now = now or utcnow()
    registration = connection.execute(
        select(Registration.__table__).where(Registration.id == registration_id)
    ).one()
    health = resources.health_question_ids(seminar_id, connection)
    identifier = message_id()
    rows = []
    for endpoint_id, shares_health in endpoints:
        resource = resources.registration_resource(
            registration, hidden_answers=() if shares_health else health
        )
        data = {"seminar_id": seminar_id, "registration": resource.model_dump(mode="json")}
        payload = {"type": event, "timestamp": now.isoformat(), "data": data}
        key = f"registration:{registration_id}"
        rows.append(_row(endpoint_id, identifier, event, key, payload, now, registration_id))
    _insert(connection, rows)
    return len(rows)


def seminar_event(event: str, seminar: Seminar, *, now: datetime | None = None) -> int:
    """Queue `event` about a seminar (published, changed, cancelled) in the session's
    transaction."""
    connection = _connection(None)
    endpoints = _endpoints_for(connection, seminar.id, event)
    if not endpoints:
        return 0
    now = now or utcnow()
    waiting = resources.waiting_counts([seminar.id]).get(seminar.id, 0)
    resource = resources.seminar_resource(seminar, waiting).model_dump(mode="json")
    payload = {"type": event, "timestamp": now.isoformat(), "data": {"seminar": resource}}
    identifier = message_id()
    _insert(
        connection,
        [
            _row(endpoint_id, identifier, event, f"seminar:{seminar.id}", payload, now)
            for endpoint_id, _shares in endpoints
        ],
    )
    return len(endpoints)


def test_event(endpoint: WebhookEndpoint, by: Organizer) -> WebhookDelivery:
    """A `webhook.test` delivery to this endpoint, whatever events it wants."""
    now = utcnow()
    delivery = WebhookDelivery(
        **_row(
            endpoint.id,
            message_id(),
            TEST_EVENT,
            f"test:{endpoint.id}",
            {
                "type": TEST_EVENT,
                "timestamp": now.isoformat(),
                "data": {"endpoint_id": endpoint.id, "organization": endpoint.organization.slug},
            },
            now,
        )
    )
    db.session.add(delivery)
    db.session.flush()
    audit.record(
        by,
        "webhook_tested",
        organization_id=endpoint.organization_id,
        detail={"webhook": endpoint.url},
    )
    return delivery


def forget_registration(registration_id: int) -> None:
    """An anonymised registration: blank the person in the payloads kept about it (the
    delivery log, and deliveries still to go, which then say only what happened)."""
    deliveries = db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.registration_id == registration_id)
    )
    for delivery in deliveries:
        payload = dict(delivery.payload)
        data = dict(payload.get("data", {}))
        person = dict(data.get("registration", {}))
        person.update(name="", email="", organization="", answers={})
        data["registration"] = person
        payload["data"] = data
        delivery.payload = payload
