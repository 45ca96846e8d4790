"""Slugs: the readable, unique names in URLs of seminars and organisations."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from .extensions import db

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str, max_length: int = 80) -> str:
    """'Styrning & ledarskap – Malmö' -> 'styrning-ledarskap-malmo' (å, ä, ö lose their dots)."""
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    )
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-")
    return slug[:max_length].rstrip("-")


def unique_slug(model, base: str, *, max_length: int, exclude_id: int | None = None) -> str:
    """`base`, or `base-2`, `base-3`, … whichever no other row of `model` uses yet."""
    base = slugify(base, max_length - 4) or "seminarium"
    taken_statement = select(model.slug).where(model.slug.like(f"{base}%"))
    if exclude_id is not None:
        taken_statement = taken_statement.where(model.id != exclude_id)
    taken = set(db.session.scalars(taken_statement))
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def slug_taken(model, slug: str, *, exclude_id: int | None = None) -> bool:
    statement = select(model.id).where(model.slug == slug)
    if exclude_id is not None:
        statement = statement.where(model.id != exclude_id)
    return db.session.execute(statement).first() is not None
