"""Development-only pages listing the mails the local SMTP server (`seminars mailbox`) kept.

Registered only when the app runs in debug mode or DEV_MAILBOX is set. A mail's HTML part is
shown as an attendee's mail program would show it, in a sandboxed frame of its own, served
with a policy that lets nothing in it run.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, render_template, url_for

from seminars.mail import devmail

bp = Blueprint("devmail", __name__, url_prefix="/dev/mailbox")

# The mail's own HTML: its styles may show, nothing may run, load from elsewhere, or frame it
# anywhere but this site; "sandbox" gives it an origin of its own.
HTML_PART_POLICY = "; ".join(
    [
        "default-src 'none'",
        "img-src 'self' data:",
        "style-src 'unsafe-inline'",
        "frame-ancestors 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "sandbox",
    ]
)


def _mail_or_404(name: str) -> devmail.StoredMail:
    mail = devmail.read(devmail.mailbox_directory(current_app), name)
    if mail is None:
        abort(404)
    return mail


@bp.get("/")
def index():
    mails = devmail.newest(devmail.mailbox_directory(current_app))
    return render_template("devmail/index.html", mails=mails)


@bp.get("/<name>")
def show(name: str):
    return render_template("devmail/show.html", mail=_mail_or_404(name))


@bp.get("/<name>/html")
def html(name: str):
    mail = _mail_or_404(name)
    # Inline images (the check-in QR code) are parts of the mail: point at them here.
    page = re.sub(
        r'src="cid:([^"]+)"',
        lambda found: f'src="{url_for(".image", name=name, content_id=found.group(1))}"',
        mail.html,
    )
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_PART_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/<name>/images/<content_id>")
def image(name: str, content_id: str):
    png = _mail_or_404(name).image(content_id)
    if png is None:
        abort(404)
    return Response(png, mimetype="image/png")
