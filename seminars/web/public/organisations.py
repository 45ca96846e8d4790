"""An organisation's own pages: its seminars (hosted and co-hosted), a subscribable calendar
feed and an Atom feed, at `/o/<slug>` (DESIGN: organisation pages)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import selectinload

from seminars import database, dates
from seminars.exports import calendar
from seminars.extensions import db
from seminars.models import Organization, Seminar, SeminarStatus, seminar_cohosts, utcnow
from seminars.web.i18n import current_language
from seminars.web.pagecache import VISIBLE

bp = Blueprint("organisations", __name__)

# The past seminars listed on the page; the feeds keep those of the last FEED_PAST days, so a
# subscriber's calendar keeps recent events instead of seeing them vanish the day after.
PAST_ON_PAGE = 50
FEED_PAST = timedelta(days=90)


@bp.before_request
def read_without_the_write_lock() -> None:
    database.begin_for_reading()


def organisation_or_404(slug: str) -> Organization:
    organization = db.session.execute(
        select(Organization).where(Organization.slug == slug)
    ).scalar_one_or_none()
    if organization is None:
        abort(404)
    return organization


def seminars_of(organization: Organization) -> Select:
    """Its visible seminars, hosted or co-hosted, with the co-hosts every listing names."""
    cohosted = exists().where(
        seminar_cohosts.c.seminar_id == Seminar.id,
        seminar_cohosts.c.organization_id == organization.id,
    )
    return (
        select(Seminar)
        .where(or_(Seminar.organization_id == organization.id, cohosted))
        .where(Seminar.status.in_(VISIBLE))
        .options(selectinload(Seminar.cohosts))
    )


def upcoming_of(organization: Organization) -> list[Seminar]:
    statement = seminars_of(organization).where(Seminar.ends_at >= utcnow())
    return list(db.session.scalars(statement.order_by(Seminar.starts_at)))


def seminar_url(seminar: Seminar) -> str:
    return current_app.config["BASE_URL"] + url_for("public.seminar", slug=seminar.slug)


@bp.get("/o/<slug>")
def organisation(slug: str):
    organization = organisation_or_404(slug)
    past = db.session.scalars(
        seminars_of(organization)
        .where(Seminar.status == SeminarStatus.PUBLISHED, Seminar.ends_at < utcnow())
        .order_by(Seminar.starts_at.desc())
        .limit(PAST_ON_PAGE)
    ).all()
    return render_template(
        "organisation/index.html",
        organization=organization,
        upcoming=upcoming_of(organization),
        past=past,
        now=utcnow(),
    )


@bp.get("/o/<slug>/logo")
def logo(slug: str):
    """The organisation's logo (an SVG was rebuilt from an allow-list when uploaded; the
    policy below is a second lock: nothing in it may run or load)."""
    organization = organisation_or_404(slug)
    if not organization.logo:
        abort(404)
    response = Response(organization.logo, mimetype=organization.logo_type)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/o/<slug>/brand.css")
def brand_css(slug: str):
    """The organisation's accent colour for its pages: a style sheet, as the pages' policy
    allows no inline styles."""
    organization = organisation_or_404(slug)
    colour = organization.accent_color
    body = f":root {{ --accent: {colour}; --accent-dark: {colour}; }}\n" if colour else ""
    response = Response(body, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def _in_feeds(organization: Organization) -> list[Seminar]:
    """Upcoming seminars and those of the last FEED_PAST days, cancelled ones included."""
    statement = seminars_of(organization).where(Seminar.ends_at >= utcnow() - FEED_PAST)
    return list(db.session.scalars(statement.order_by(Seminar.starts_at)))


def _conditional(response: Response) -> Response:
    """Calendar apps poll the feed: an unchanged one is a 304 without a body."""
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/o/<slug>/calendar.ics")
def calendar_feed(slug: str):
    organization = organisation_or_404(slug)
    body = calendar.feed_for(
        [(seminar, seminar_url(seminar)) for seminar in _in_feeds(organization)],
        current_app.config["BASE_URL"],
        name=organization.name,
    )
    return _conditional(Response(body, mimetype="text/calendar"))


def _tag(created_at, what: str) -> str:
    """A tag URI (RFC 4151): stable when the slug or the site's address changes path."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "seminars.invalid"
    return f"tag:{host},{created_at:%Y-%m-%d}:{what}"


def _entry_summary(seminar: Seminar, language: str) -> str:
    place = ", ".join(part for part in (seminar.venue_name, seminar.venue_address) if part)
    lines = [seminar.subtitle, dates.span(seminar.starts_at, seminar.ends_at, language), place]
    return "\n".join(line for line in lines if line)


@bp.get("/o/<slug>/feed.atom")
def atom_feed(slug: str):
    organization = organisation_or_404(slug)
    seminars = _in_feeds(organization)
    language = current_language()
    base_url = current_app.config["BASE_URL"]
    feed = FeedGenerator()
    feed.id(_tag(organization.created_at, f"organisation-{organization.id}"))
    feed.title(_("Seminars from %(organisation)s", organisation=organization.name))
    feed.author({"name": organization.name})
    feed.link(href=base_url + url_for(".organisation", slug=organization.slug), rel="alternate")
    feed.link(href=base_url + url_for(".atom_feed", slug=organization.slug), rel="self")
    feed.language(language)
    feed.updated(max((s.updated_at for s in seminars), default=organization.created_at))
    for seminar in sorted(seminars, key=lambda s: s.updated_at, reverse=True):
        entry = feed.add_entry(order="append")
        entry.id(_tag(seminar.created_at, f"seminar-{seminar.id}"))
        title = seminar.title
        if seminar.status == SeminarStatus.CANCELLED:
            title = _("Cancelled: %(title)s", title=seminar.title)
        entry.title(title)
        entry.link(href=seminar_url(seminar), rel="alternate")
        entry.published(seminar.created_at)
        entry.updated(seminar.updated_at)
        entry.summary(_entry_summary(seminar, language))
        entry.author({"name": " · ".join(o.name for o in seminar.organizations)})
    body = feed.atom_str(pretty=False)
    return _conditional(Response(body, mimetype="application/atom+xml"))
