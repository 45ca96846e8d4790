"""The organiser's page for their organisation's website: the sites allowed to embed its
signup and seminar list, the copy-paste snippets, and the organisation page and feeds."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import escape
from sqlalchemy import select
from wtforms import Field, TextAreaField
from wtforms.validators import Length, ValidationError

from seminars.extensions import db
from seminars.models import Organization, Seminar
from seminars.organising import embedding
from seminars.web.public.organisations import upcoming_of

bp = Blueprint("embedding", __name__, url_prefix="/organizer/organizations")

INVALID_ORIGIN = {
    "format": _l(
        "“%(line)s” is not a website address. Write it as https://www.example.org, "
        "without a path after the name."
    ),
    "http": _l(
        "“%(line)s” must start with https://. Plain http:// is allowed only for localhost "
        "and 127.0.0.1, for trying things out."
    ),
    "too many": _l("At most %(max)d websites."),
}


class EmbedOriginsForm(FlaskForm):
    origins = TextAreaField(
        _l("Websites that may embed the signup and the list"),
        [Length(max=5000)],
        description=_l(
            "One per line, as https://www.example.org (the address of the site, without a "
            "path). Pages on any other site cannot show them."
        ),
    )

    def validate_origins(self, field: Field) -> None:
        try:
            self.parsed = embedding.parse_origins(field.data or "")
        except embedding.InvalidOrigin as error:
            values = {"line": error.line.strip()[:100], "max": embedding.MAX_ORIGINS}
            raise ValidationError(str(INVALID_ORIGIN[error.reason]) % values) from None


def manageable_organizations() -> list[Organization]:
    """The current organiser's organisations, by name (every one for a site admin)."""
    if current_user.is_admin:
        return list(db.session.scalars(select(Organization).order_by(Organization.name)))
    return sorted(current_user.organizations, key=lambda o: o.name)


@bp.before_request
@login_required
def require_login() -> None:
    """Every page here is for logged-in organisers; each view checks the organisation."""


@bp.app_context_processor
def embedding_link() -> dict:
    """For the organiser layout's menu: this page, for the organiser's first organisation."""

    def embedding_url() -> str | None:
        if not current_user.is_authenticated:
            return None
        organizations = manageable_organizations()
        if not organizations:
            return None
        return url_for("embedding.settings", organization_id=organizations[0].id)

    return {"embedding_url": embedding_url}


def _snippet(path: str, title: str) -> str:
    base_url = current_app.config["BASE_URL"]
    return (
        f'<iframe src="{escape(base_url + path)}" title="{escape(title)}" '
        'width="100%" height="600" loading="lazy"></iframe>\n'
        f'<script src="{escape(base_url)}/static/embed.js" async></script>'
    )


@bp.route("/<int:organization_id>/embed", methods=["GET", "POST"])
def settings(organization_id: int):
    organizations = manageable_organizations()
    organization = next((o for o in organizations if o.id == organization_id), None)
    if organization is None:
        abort(404)
    form = EmbedOriginsForm(data={"origins": "\n".join(organization.embed_origins or [])})
    if form.validate_on_submit():
        if embedding.set_embed_origins(organization, form.parsed, current_user):
            db.session.commit()
        flash(_("The list of websites is saved."), "success")
        return redirect(url_for(".settings", organization_id=organization.id), 303)
    upcoming: list[Seminar] = upcoming_of(organization)
    list_title = _("Seminars from %(organisation)s", organisation=organization.name)
    return render_template(
        "organisation/embed.html",
        organization=organization,
        organizations=organizations,
        form=form,
        list_snippet=_snippet(url_for("embed.organisation", slug=organization.slug), list_title),
        seminar_snippets=[
            (seminar, _snippet(url_for("embed.seminar", slug=seminar.slug), seminar.title))
            for seminar in upcoming
        ],
    ), (422 if form.errors else 200)
