"""The pages the law asks for: each organisation's privacy notice (GDPR articles 13–14) and
the website's accessibility statement (lag (2018:1937), DOS-lagen)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import Organization

bp = Blueprint("statements", __name__)

# When the accessibility statement was last reviewed against the website; DIGG asks for it.
ACCESSIBILITY_REVIEWED_ON = date(2026, 11, 23)


def _organizations() -> list[Organization]:
    return list(db.session.scalars(select(Organization).order_by(Organization.name)))


@bp.get("/privacy")
def privacy_index():
    return render_template("statements/privacy_index.html", organizations=_organizations())


@bp.get("/privacy/<org_slug>")
def privacy(org_slug: str):
    organization = db.first_or_404(select(Organization).where(Organization.slug == org_slug))
    return render_template("statements/privacy.html", organization=organization)


@bp.get("/accessibility")
def accessibility():
    return render_template(
        "statements/accessibility.html",
        organizations=_organizations(),
        reviewed_on=ACCESSIBILITY_REVIEWED_ON,
    )
