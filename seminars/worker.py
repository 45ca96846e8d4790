"""One pass of the background worker: queue what has become due, then deliver the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from seminars.api import deliveries as webhook_deliveries
from seminars.extensions import db
from seminars.mail import bounces, delivery, reminders
from seminars.models import utcnow
from seminars.organising import purge


@dataclass
class PassSummary:
    reminders: reminders.QueuedReport
    attendance_checks: reminders.QueuedReport
    delivery: delivery.DeliveryReport = field(default_factory=delivery.DeliveryReport)
    webhooks: webhook_deliveries.WebhookReport = field(
        default_factory=webhook_deliveries.WebhookReport
    )
    # Registrations anonymised by the daily purge, or None when it was not due this pass.
    purged: int | None = None
    # Addresses found not to work in the bounce mailbox, or None when it was not read.
    bounced: int | None = None

    @property
    def anything_happened(self) -> bool:
        return bool(
            self.reminders.queued
            or self.reminders.missed
            or self.attendance_checks.queued
            or self.attendance_checks.missed
            or self.delivery.claimed
            or self.webhooks.claimed
            or self.purged
            or self.bounced
        )

    def line(self) -> str:
        sent = self.delivery
        return (
            f"reminders queued {self.reminders.queued} (missed {self.reminders.missed}), "
            f"attendance checks queued {self.attendance_checks.queued} "
            f"(missed {self.attendance_checks.missed}); "
            f"mail sent {sent.sent}, retrying {sent.retrying}, failed {sent.failed}, "
            f"not sent {sent.missed}; "
            f"webhooks delivered {self.webhooks.delivered}, failed {self.webhooks.failed}"
            + (f", endpoints disabled {self.webhooks.disabled}" if self.webhooks.disabled else "")
            + (f"; purge anonymised {self.purged}" if self.purged is not None else "")
            + (f"; bounces read {self.bounced}" if self.bounced is not None else "")
        )


def run_pass(now: datetime | None = None) -> PassSummary:
    """Queue due reminders and attendance checks, purge once a day, read the bounce mailbox
    (when there is one) at most once a minute, then send batches until none is left."""
    now = now or utcnow()
    summary = PassSummary(
        reminders=reminders.queue_due_reminders(now),
        attendance_checks=reminders.queue_due_attendance_checks(now),
    )
    # Data retention, once a day: the database remembers the last run across restarts.
    purge_run = purge.purge_if_due(now)
    if purge_run is not None:
        summary.purged = purge_run.registrations_anonymised
    db.session.commit()
    summary.bounced = bounces.poll_if_due(db.engine.connect)
    # Webhooks first: a disabled endpoint's mail to its organisers then goes in this pass.
    summary.webhooks = webhook_deliveries.deliver_pending(now)
    batch_size = current_app.config["OUTBOX_BATCH_SIZE"]
    # A reminder run renders each audience's text once, not once per batch, and sends every
    # batch over one SMTP connection.
    run = delivery.Run()
    try:
        while True:
            report = delivery.deliver_pending(batch_size=batch_size, run=run)
            summary.delivery.add(report)
            if report.claimed < batch_size:
                return summary
    finally:
        run.close()
