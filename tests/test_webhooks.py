"""Webhooks to a real HTTP receiver: signed per Standard Webhooks (checked with the
reference library), queued with the change, retried until the receiver is back, each
event once and in order per registration, with a `webhook-id` that stays the same."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from seminars import signup
from seminars.api import deliveries, webhooks
from seminars.extensions import db
from seminars.models import (
    DeliveryStatus,
    OutboxMessage,
    Registration,
    WebhookDelivery,
    utcnow,
)
from seminars.organising import editor
from tests.conftest import DIET_QUESTION, attendee
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


def endpoint_for(organization, organizer, url, events=webhooks.EVENTS):
    endpoint = webhooks.add_endpoint(organization, url, list(events), "CRM", organizer)
    db.session.commit()
    return endpoint


def public_signup(seminar_id: int, person) -> signup.SignupOutcome:
    """As the public form signs up: on a connection of its own (the session's reads end
    first: on SQLite they hold the write lock)."""
    db.session.rollback()
    with db.engine.begin() as connection:
        return signup.sign_up(seminar_id, person, connection=connection, place_in_line=False)


def test_receiver_down_then_up_gets_every_event_once_in_order(
    seminar_factory, organizer_factory, receiver, capsys
):
    seminar = seminar_factory(capacity=2)
    organizer = organizer_factory(seminar.organization)
    endpoint = endpoint_for(seminar.organization, organizer, receiver.url)
    secret = webhooks.secret_of(endpoint)

    # Changes that queue events: three signups (one waits), answers changed, a cancel
    # (which moves the waiting person up), and the seminar changed.
    outcomes = [public_signup(seminar.id, attendee(f"p{n}@example.org")) for n in range(3)]
    first = db.session.get(Registration, outcomes[0].registration_id)
    signup.change_answers(first, name="Anna A", organization="Vision", answers={})
    signup.cancel(db.session.get(Registration, outcomes[1].registration_id))
    db.session.commit()
    queued = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    expected = [(d.ordering_key, d.event_type, d.message_id) for d in queued]
    assert [e[1] for e in expected] == [
        "registration.created",
        "registration.created",
        "registration.created",
        "registration.changed",
        "registration.cancelled",
        "registration.promoted",
    ]

    start = utcnow()
    # 1. Receiver down: connections refused; only the first per registration is tried.
    down = deliveries.deliver_pending(start)
    assert (down.delivered, down.failed) == (0, 3)
    # 2. Receiver up, but answering 503: the retry carries the same webhook-id.
    receiver.start()
    receiver.failing = True
    failing = deliveries.deliver_pending(start + timedelta(hours=1))
    assert (failing.delivered, failing.failed) == (0, 3)
    ids_while_failing = {r.headers["webhook-id"] for r in receiver.received}
    # 3. Receiver well: everything goes, in order, once.
    receiver.failing = False
    well = deliveries.deliver_pending(start + timedelta(days=1))
    assert (well.delivered, well.failed) == (6, 0)
    assert deliveries.deliver_pending(start + timedelta(days=2)).claimed == 0

    accepted = receiver.accepted()
    ids = [r.headers["webhook-id"] for r in accepted]
    assert sorted(ids) == sorted(e[2] for e in expected)  # each event once
    assert ids_while_failing <= set(ids)  # the retries carried the same ids
    arrived = defaultdict(list)
    for received in accepted:
        payload = Webhook(secret).verify(received.body, received.headers)  # raises if wrong
        arrived[payload["data"]["registration"]["id"]].append(received.headers["webhook-id"])
    in_queue_order = defaultdict(list)
    for key, _event, message_id in expected:
        in_queue_order[int(key.split(":")[1])].append(message_id)
    assert dict(arrived) == dict(in_queue_order)
    attempts = [d.attempts for d in db.session.scalars(select(WebhookDelivery))]
    print(
        f"\nwebhooks: {len(expected)} events, {len(receiver.received)} POSTs "
        f"({len(receiver.received) - len(accepted)} answered 503), 3 refused while down, "
        f"attempts per delivery {sorted(attempts)}"
    )


def test_a_tampered_body_does_not_verify(seminar_factory, organizer_factory, receiver):
    seminar = seminar_factory()
    organizer = organizer_factory(seminar.organization)
    endpoint = endpoint_for(seminar.organization, organizer, receiver.url)
    receiver.start()
    public_signup(seminar.id, attendee())
    deliveries.deliver_pending()
    (received,) = receiver.received
    Webhook(webhooks.secret_of(endpoint)).verify(received.body, received.headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(webhooks.secret_of(endpoint)).verify(
            received.body.replace(b"Anna", b"Eve"), received.headers
        )


def test_a_failing_signup_queues_no_event(seminar_factory, organizer_factory, receiver):
    seminar = seminar_factory(capacity=1, waitlist_enabled=False)
    organizer = organizer_factory(seminar.organization)
    endpoint_for(seminar.organization, organizer, receiver.url)
    public_signup(seminar.id, attendee("a@example.org"))
    public_signup(seminar.id, attendee("b@example.org"))  # full: nothing happens
    public_signup(seminar.id, attendee("a@example.org"))  # already registered
    assert len(db.session.scalars(select(WebhookDelivery)).all()) == 1


def test_only_wanted_events_and_no_health_answers(seminar_factory, organizer_factory, receiver):
    seminar = seminar_factory(questions=[DIET_QUESTION])
    organizer = organizer_factory(seminar.organization)
    endpoint_for(seminar.organization, organizer, receiver.url, ["registration.created"])
    question = str(seminar.questions[0].id)
    outcome = public_signup(seminar.id, attendee(answers={question: "Glutenfri"}))
    signup.cancel(db.session.get(Registration, outcome.registration_id))
    db.session.commit()
    (delivery,) = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.event_type == "registration.created"
    assert delivery.payload["data"]["registration"]["answers"] == {}
    assert "Glutenfri" not in json.dumps(delivery.payload)


def test_seminar_events_from_the_editor(seminar_factory, organizer_factory, receiver):
    seminar = seminar_factory(status="draft")
    organizer = organizer_factory(seminar.organization)
    endpoint_for(seminar.organization, organizer, receiver.url)
    editor.publish(organizer, seminar)
    editor.cancel_seminar(organizer, seminar, "Sjukdom")
    db.session.commit()
    events = db.session.scalars(select(WebhookDelivery.event_type).order_by(WebhookDelivery.id))
    assert list(events) == ["seminar.published", "seminar.cancelled"]


def test_an_endpoint_failing_for_three_days_is_disabled_and_organisers_told(
    seminar_factory, organizer_factory, receiver
):
    seminar = seminar_factory()
    organizer = organizer_factory(seminar.organization)
    endpoint = endpoint_for(seminar.organization, organizer, receiver.url)
    public_signup(seminar.id, attendee())
    start = utcnow()
    moment = start
    while deliveries.deliver_pending(moment).disabled == 0:
        moment += timedelta(hours=10)
        assert moment - start < timedelta(days=4)
    db.session.expire_all()
    assert not endpoint.enabled
    assert moment - start >= timedelta(days=3)
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook_disabled"))
    assert [m.to_email for m in mail] == [organizer.email]
    # Held, not lost: turned on again with the receiver up, the event goes out.
    receiver.start()
    webhooks.set_enabled(endpoint, True, organizer)
    db.session.commit()
    assert deliveries.deliver_pending(moment).delivered == 1
    assert db.session.scalar(select(WebhookDelivery.status)) == DeliveryStatus.DELIVERED


def test_anonymising_blanks_the_person_in_payloads(seminar_factory, organizer_factory, receiver):
    seminar = seminar_factory()
    organizer = organizer_factory(seminar.organization)
    endpoint_for(seminar.organization, organizer, receiver.url)
    outcome = public_signup(seminar.id, attendee())
    signup.delete_own_data(db.session.get(Registration, outcome.registration_id))
    db.session.commit()
    payloads = db.session.scalars(select(WebhookDelivery.payload)).all()
    assert len(payloads) == 2
    assert "Anna" not in json.dumps(payloads) and "anna@example.org" not in json.dumps(payloads)


def test_a_switch_of_mode_and_a_promotion_in_that_mode_are_told(
    seminar_factory, organizer_factory, receiver
):
    """A hybrid seminar (issue 15): switching to online is registration.changed, and the
    on-site seat it frees promotes the first in that line (registration.promoted)."""
    seminar = seminar_factory(capacity=1, mode="hybrid", online_capacity=None)
    organizer = organizer_factory(seminar.organization)
    endpoint_for(seminar.organization, organizer, receiver.url)
    first = public_signup(seminar.id, attendee("a@example.org"))
    second = public_signup(seminar.id, attendee("b@example.org"))
    assert (first.kind, second.kind) == (signup.Outcome.SEATED, signup.Outcome.WAITING)
    signup.switch_mode(db.session.get(Registration, first.registration_id), "online")
    db.session.commit()
    rows = db.session.execute(
        select(WebhookDelivery.event_type, WebhookDelivery.registration_id).order_by(
            WebhookDelivery.id
        )
    ).all()
    assert [tuple(row) for row in rows[2:]] == [
        ("registration.promoted", second.registration_id),
        ("registration.changed", first.registration_id),
    ]
