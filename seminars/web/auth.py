"""Organiser accounts: the session's user loader (login views live here too)."""

from __future__ import annotations

from flask import Flask

from ..extensions import db, login_manager
from ..models import Organizer


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"

    @login_manager.user_loader
    def load_organizer(organizer_id: str) -> Organizer | None:
        organizer = db.session.get(Organizer, int(organizer_id))
        return organizer if organizer and organizer.active else None
