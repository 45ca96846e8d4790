"""Data retention: registrations are anonymised N days after the seminar, counts survive."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from seminars import signup
from seminars.extensions import db
from seminars.models import OutboxMessage, PurgeRun, Registration, Status
from seminars.organising import purge
from tests.conftest import register

from .conftest import DIET_QUESTION, attendee

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _seminar_ended(seminar_factory, days_ago: float, **fields):
    """A seminar that ended `days_ago` days before NOW, with two attendees."""
    ends_at = NOW - timedelta(days=days_ago)
    seminar = seminar_factory(starts_at=ends_at - timedelta(hours=3), capacity=1, **fields)
    signed_up = seminar.starts_at - timedelta(days=10)
    confirmed = register(
        seminar,
        attendee("kim@example.org", "Kim Berg", answers={}),
        now=signed_up,
    )
    waiting = register(seminar, attendee("lo@example.org", "Lo Ek"), now=signed_up)
    db.session.commit()
    return seminar, confirmed, waiting


def _identifies_someone(registration: Registration) -> bool:
    return bool(
        registration.name or registration.email or registration.organization or registration.answers
    )


def test_registrations_are_anonymised_after_the_retention_days(seminar_factory):
    seminar, confirmed, waiting = _seminar_ended(seminar_factory, days_ago=91)
    run = purge.purge(NOW)
    db.session.commit()
    for registration in (confirmed, waiting):
        db.session.refresh(registration)
        assert not _identifies_someone(registration)
        assert registration.anonymised_at == NOW
    assert (run.registrations_anonymised, run.seminars) == (2, 1)


def test_counts_survive_the_purge(seminar_factory):
    seminar, confirmed, waiting = _seminar_ended(seminar_factory, days_ago=200)
    purge.purge(NOW)
    db.session.commit()
    statuses = db.session.execute(
        select(Registration.status, func.count())
        .where(Registration.seminar_id == seminar.id)
        .group_by(Registration.status)
    ).all()
    assert dict(statuses) == {Status.CONFIRMED: 1, Status.WAITING: 1}
    db.session.refresh(seminar)
    assert seminar.seats_taken == 1


def test_registrations_are_untouched_before_the_retention_days(seminar_factory):
    _, confirmed, _ = _seminar_ended(seminar_factory, days_ago=89)
    run = purge.purge(NOW)
    db.session.commit()
    db.session.refresh(confirmed)
    assert confirmed.name == "Kim Berg"
    assert confirmed.email == "kim@example.org"
    assert confirmed.anonymised_at is None
    assert run.registrations_anonymised == 0


def test_each_organisation_sets_its_own_retention(seminar_factory, organization_factory):
    archive_keeper = organization_factory("Tillitsdelegationen", retention_days=365)
    _, kept, _ = _seminar_ended(seminar_factory, days_ago=200, organization=archive_keeper)
    quick = organization_factory("OFR", retention_days=30)
    _, purged, _ = _seminar_ended(seminar_factory, days_ago=31, organization=quick)
    purge.purge(NOW)
    db.session.commit()
    db.session.refresh(kept)
    db.session.refresh(purged)
    assert kept.name == "Kim Berg"
    assert purged.name == ""


def test_health_answers_and_sent_mail_addresses_go_too(seminar_factory):
    ends_at = NOW - timedelta(days=120)
    seminar = seminar_factory(starts_at=ends_at - timedelta(hours=3), questions=[DIET_QUESTION])
    question_id = str(seminar.questions[0].id)
    registration = register(
        seminar,
        attendee(answers={question_id: "Glutenfri"}),
        now=seminar.starts_at - timedelta(days=3),
    )
    db.session.commit()
    assert db.session.scalar(
        select(func.count()).where(OutboxMessage.to_email == "anna@example.org")
    )
    purge.purge(NOW)
    db.session.commit()
    db.session.refresh(registration)
    assert registration.answers == {}
    assert not db.session.scalar(
        select(func.count()).where(OutboxMessage.to_email == "anna@example.org")
    )


def test_every_run_is_logged_even_when_nothing_is_due(seminar_factory, caplog):
    _seminar_ended(seminar_factory, days_ago=100)
    with caplog.at_level(logging.INFO):
        first = purge.purge(NOW)
        second = purge.purge(NOW + timedelta(days=1))
    db.session.commit()
    assert (first.registrations_anonymised, second.registrations_anonymised) == (2, 0)
    assert db.session.scalar(select(func.count(PurgeRun.id))) == 2
    assert "purge: anonymised 2 registrations of 1 seminars" in caplog.text


def test_manage_link_stops_working_after_the_purge(client, seminar_factory):
    _, confirmed, _ = _seminar_ended(seminar_factory, days_ago=100)
    token = signup.manage_token(confirmed)
    assert client.get(f"/r/{token}").status_code == 200
    purge.purge(NOW)
    db.session.commit()
    assert client.get(f"/r/{token}").status_code == 404


def test_worker_purge_runs_once_a_day(seminar_factory):
    _seminar_ended(seminar_factory, days_ago=100)
    assert purge.purge_if_due(NOW) is not None
    assert purge.purge_if_due(NOW + timedelta(hours=23)) is None
    assert purge.purge_if_due(NOW + timedelta(hours=25)) is not None


def test_cli_dry_run_counts_without_changing_anything(runner, seminar_factory):
    # Seminars that ended long before today, whatever today's date is.
    _, confirmed, _ = _seminar_ended(seminar_factory, days_ago=400)
    result = runner.invoke(args=["seminars", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would anonymise 2 registrations of 1 seminars" in result.output
    db.session.refresh(confirmed)
    assert confirmed.name == "Kim Berg"

    result = runner.invoke(args=["seminars", "purge"])
    assert result.exit_code == 0, result.output
    assert "anonymised 2 registrations of 1 seminars" in result.output
    db.session.expire_all()
    assert db.session.get(Registration, confirmed.id).name == ""
    assert db.session.scalar(select(func.count(PurgeRun.id))) == 1


def test_worker_purges_on_its_first_pass_and_then_daily(runner, seminar_factory):
    _, confirmed, _ = _seminar_ended(seminar_factory, days_ago=400)
    confirmed_id = confirmed.id  # the worker ends its session after each pass
    first = runner.invoke(args=["seminars", "worker", "--once"])
    assert first.exit_code == 0, first.output
    assert "purge anonymised 2" in first.output
    assert db.session.get(Registration, confirmed_id).anonymised_at is not None
    second = runner.invoke(args=["seminars", "worker", "--once"])
    assert "purge" not in second.output
    assert db.session.scalar(select(func.count(PurgeRun.id))) == 1
