"""Delivering the webhook outbox: the worker POSTs each delivery, signed per the Standard
Webhooks spec, and retries with back-off until the endpoint answers 2xx.

- `webhook-id` is the delivery's message id, the same on every retry, so a receiver can
  drop a repeat; `webhook-timestamp` is the attempt's time; `webhook-signature` is
  `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` with the endpoint's secret.
- Per endpoint, deliveries about the same registration (or seminar) go out in the order
  they were queued: one is claimed only when none before it with the same key is still
  waiting, so a retry holds back what came after it.
- An endpoint failing for three days is disabled, and the organisation's organisers are
  told by mail; its deliveries wait, and go out in order if it is turned on again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from flask import current_app
from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import aliased

from seminars.api import webhooks
from seminars.extensions import db
from seminars.mail import queue as outbox
from seminars.models import (
    MANAGING_ROLES,
    DeliveryStatus,
    Organizer,
    WebhookDelivery,
    WebhookEndpoint,
    organizer_memberships,
    utcnow,
)

# After the 1st, 2nd, … failure: as Standard Webhooks' reference service retries.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
DISABLE_AFTER = timedelta(days=3)
LEASE = timedelta(minutes=2)
KEEP_DELIVERED = timedelta(days=30)
USER_AGENT = "Seminars-Webhooks/1.0"


@dataclass
class WebhookReport:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    disabled: int = 0


def retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def body_of(delivery: WebhookDelivery) -> bytes:
    """The same bytes on every attempt."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def _claim(now: datetime, limit: int) -> list[int]:
    """Due deliveries of enabled endpoints with nothing before them still waiting."""
    earlier = aliased(WebhookDelivery)
    held_back = exists().where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        earlier.ordering_key == WebhookDelivery.ordering_key,
        earlier.id < WebhookDelivery.id,
        earlier.status != DeliveryStatus.DELIVERED,
    )
    due = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.enabled,
            ~held_back,
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True, of=WebhookDelivery)
    ids = list(db.session.scalars(due))
    if ids:
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(status=DeliveryStatus.SENDING, claimed_at=utcnow())
        )
    db.session.commit()
    return ids


def _release_stale(now: datetime) -> None:
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.status == DeliveryStatus.SENDING,
            WebhookDelivery.claimed_at < now - LEASE,
        )
        .values(status=DeliveryStatus.PENDING, claimed_at=None)
    )
    db.session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status == DeliveryStatus.DELIVERED,
            WebhookDelivery.delivered_at < now - KEEP_DELIVERED,
        )
    )
    db.session.commit()


def post(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> tuple[int | None, str]:
    """One attempt: (HTTP status or None, error text or "")."""
    body = body_of(delivery)
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(
            webhooks.secret_of(endpoint), delivery.message_id, timestamp, body
        ),
    }
    try:
        response = requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=current_app.config["WEBHOOK_TIMEOUT"],
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {str(error)[:300]}"
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}"


def attempt(delivery: WebhookDelivery, now: datetime, report: WebhookReport) -> None:
    """Send one claimed delivery and record what happened (committed)."""
    endpoint = delivery.endpoint
    status_code, error = post(delivery, endpoint)
    delivery.attempts += 1
    delivery.last_attempt_at = utcnow()
    delivery.last_status_code = status_code
    delivery.claimed_at = None
    if not error:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = utcnow()
        delivery.last_error = ""
        endpoint.failing_since = None
        report.delivered += 1
    else:
        delivery.status = DeliveryStatus.PENDING
        delivery.last_error = error
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        endpoint.failing_since = endpoint.failing_since or now
        report.failed += 1
        if endpoint.enabled and now - endpoint.failing_since >= DISABLE_AFTER:
            _disable(endpoint, now)
            report.disabled += 1
    db.session.commit()


def _disable(endpoint: WebhookEndpoint, now: datetime) -> None:
    endpoint.enabled = False
    endpoint.disabled_at = now
    people = db.session.scalars(
        select(Organizer)
        .join(organizer_memberships, organizer_memberships.c.organizer_id == Organizer.id)
        .where(
            organizer_memberships.c.organization_id == endpoint.organization_id,
            organizer_memberships.c.role.in_([str(role) for role in MANAGING_ROLES]),
            Organizer.active,
        )
    )
    for person in people:
        outbox.queue(
            "webhook_disabled",
            dedupe_key=f"webhook_disabled:{endpoint.id}:{int(now.timestamp())}:{person.id}",
            to_email=person.email,
            to_name=person.name,
            context={
                "url": endpoint.url,
                "organization": endpoint.organization.name,
                "settings_url": (
                    f"{current_app.config['BASE_URL']}/organizer/organizations/"
                    f"{endpoint.organization_id}/webhooks"
                ),
            },
        )


def deliver_pending(now: datetime | None = None) -> WebhookReport:
    """Deliver what is due, batch after batch, until nothing due is left."""
    now = now or utcnow()
    report = WebhookReport()
    _release_stale(now)
    batch_size = current_app.config["WEBHOOK_BATCH_SIZE"]
    while True:
        ids = _claim(now, batch_size)
        report.claimed += len(ids)
        for delivery_id in ids:
            attempt(db.session.get(WebhookDelivery, delivery_id), now, report)
        if not ids:
            return report


def send_now(delivery: WebhookDelivery) -> WebhookDelivery:
    """Try one delivery at once (the "send test event" button), unless a worker has it."""
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, claimed_at=utcnow())
    ).rowcount
    db.session.commit()
    row = db.session.get(WebhookDelivery, delivery.id)
    if claimed:
        attempt(row, utcnow(), WebhookReport())
    return row
