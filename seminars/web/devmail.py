"""Development-only pages listing the mails the local SMTP server (`seminars mailbox`) kept.

Registered only when the app runs in debug mode or DEV_MAILBOX is set.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from seminars.mail import devmail

bp = Blueprint("devmail", __name__, url_prefix="/dev/mailbox")


@bp.get("/")
def index():
    mails = devmail.newest(devmail.mailbox_directory(current_app))
    return render_template("devmail/index.html", mails=mails)


@bp.get("/<name>")
def show(name: str):
    mail = devmail.read(devmail.mailbox_directory(current_app), name)
    if mail is None:
        abort(404)
    return render_template("devmail/show.html", mail=mail)
