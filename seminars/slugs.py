"""Slugs: the readable, unique names in URLs of seminars and organisations."""

from __future__ import annotations

import re

from slugify import slugify as _transliterated_slug
from sqlalchemy import select

from seminars.extensions import db

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class SlugTaken(ValueError):
    """Another row already uses the slug the organiser asked for."""


def slugify(text: str, max_length: int = 80) -> str:
    """'Styrning & ledarskap – Malmö' -> 'styrning-ledarskap-malmo'; letters outside a–z
    are transliterated, not dropped: Øresund -> oresund, Straße -> strasse, Łódź -> lodz."""
    return _transliterated_slug(text, max_length=max_length, word_boundary=False)


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


def choose_slug(
    model, wanted: str, *, name: str, max_length: int, exclude_id: int | None = None
) -> str:
    """The slug the organiser asked for (SlugTaken when another row has it), or one made
    from `name` when they left it empty."""
    if not wanted:
        return unique_slug(model, name, max_length=max_length, exclude_id=exclude_id)
    statement = select(model.id).where(model.slug == wanted)
    if exclude_id is not None:
        statement = statement.where(model.id != exclude_id)
    if db.session.execute(statement).first() is not None:
        raise SlugTaken(wanted)
    return wanted
