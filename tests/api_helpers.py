"""Shared by the API and webhook tests: tokens, and a seminar with a question or two."""

from __future__ import annotations

from seminars.api import tokens as api_tokens
from seminars.extensions import db
from seminars.models import Organization, Organizer

ALL_SCOPES = list(api_tokens.SCOPES)


def make_token(organization: Organization, organizer: Organizer, scopes=None, name="CRM") -> str:
    created = api_tokens.create(organization, name, scopes or ALL_SCOPES, organizer)
    db.session.commit()
    return created.token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
