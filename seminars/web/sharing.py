"""What a shared seminar link shows elsewhere: the page's description, its OpenGraph and
Twitter card (Teams, LinkedIn, Slack, Facebook), and schema.org `Event` data for search
engines, as JSON-LD in a data block that the strict CSP leaves alone (it is never run).

The seminar page is rendered once per version (`pagecache`), keyed on whether a seat is
left; the offer's availability is decided on the seat count of that key, so a cached page
never says "in stock" under the key of a full seminar.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask, current_app, g, url_for
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from seminars import dates
from seminars.models import Organization, Seminar, SeminarStatus, registration_phase
from seminars.web.i18n import current_language

SCHEMA = "https://schema.org/"
DESCRIPTION_LENGTH = 200
# "Drottninggatan 71B, 111 36 Stockholm": street, then postal code and town.
_POSTAL_TOWN = re.compile(r"(\d{3} ?\d{2})\s+(.+)")


def absolute_url(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


def _place(seminar: Seminar) -> str:
    return ", ".join(part for part in (seminar.venue_name, seminar.venue_address) if part)


def seminar_description(seminar: Seminar) -> str:
    """'onsdag 18 mars 2026 kl. 13.00–16.00 · Aulan, Drottninggatan 71B. Subtitle.'"""
    language = current_language()
    text = dates.span(seminar.starts_at, seminar.ends_at, language)
    if _place(seminar):
        text += f" · {_place(seminar)}"
    text += "."
    if seminar.subtitle:
        text += f" {seminar.subtitle}"
    return text if len(text) <= DESCRIPTION_LENGTH else text[: DESCRIPTION_LENGTH - 1] + "…"


def _attendance_mode(seminar: Seminar) -> str:
    """On site, online or both, from what the organiser filled in."""
    on_site = bool(seminar.venue_name or seminar.venue_address)
    if on_site and seminar.online_info:
        return "MixedEventAttendanceMode"
    return "OnlineEventAttendanceMode" if seminar.online_info else "OfflineEventAttendanceMode"


def _postal_address(address: str) -> dict:
    street, _comma, rest = address.rpartition(",")
    match = _POSTAL_TOWN.fullmatch(rest.strip())
    if not street or match is None:
        return {"@type": "PostalAddress", "streetAddress": address, "addressCountry": "SE"}
    return {
        "@type": "PostalAddress",
        "streetAddress": street.strip(),
        "postalCode": match[1],
        "addressLocality": match[2],
        "addressCountry": "SE",
    }


def _locations(seminar: Seminar, url: str) -> list[dict]:
    """The venue as a Place, and a VirtualLocation for online participation: the page,
    since the joining link itself is only for those registered."""
    locations = []
    if seminar.venue_name or seminar.venue_address:
        place: dict = {"@type": "Place", "name": seminar.venue_name or seminar.venue_address}
        if seminar.venue_address:
            place["address"] = _postal_address(seminar.venue_address)
        locations.append(place)
    if seminar.online_info:
        locations.append({"@type": "VirtualLocation", "url": url})
    return locations


def _organizer(organization: Organization) -> dict:
    """An organiser with its own website, or else its page here."""
    url = organization.website or absolute_url("organisations.organisation", slug=organization.slug)
    return {"@type": "Organization", "name": organization.name, "url": url}


def availability(seminar: Seminar, now: datetime) -> str:
    """Whether one can sign up, as schema.org says it. The seats are those of the page
    cache's key while the page is rendered for it (see the module's docstring)."""
    if seminar.status == SeminarStatus.CANCELLED:
        return "Discontinued"
    phase = registration_phase(seminar, now)
    if phase == "not yet open":
        return "PreOrder"
    seats_left = g.get("page_seats_left", seminar.seats_left)
    return "InStock" if phase == "open" and seats_left > 0 else "SoldOut"


def _local_iso(moment: datetime) -> str:
    """'2026-03-18T13:00:00+01:00': Stockholm time with its offset."""
    return dates.local(moment).isoformat()


def event_data(seminar: Seminar, now: datetime) -> dict:
    url = absolute_url("public.seminar", slug=seminar.slug)
    cancelled = seminar.status == SeminarStatus.CANCELLED
    offer = {
        "@type": "Offer",
        "url": url + "#signup",
        "price": "0",
        "priceCurrency": "SEK",
        "availability": SCHEMA + availability(seminar, now),
    }
    if seminar.registration_opens_at:
        offer["validFrom"] = _local_iso(seminar.registration_opens_at)
    return {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": seminar.title,
        "description": seminar_description(seminar),
        "url": url,
        "startDate": _local_iso(seminar.starts_at),
        "endDate": _local_iso(seminar.ends_at),
        "eventStatus": SCHEMA + ("EventCancelled" if cancelled else "EventScheduled"),
        "eventAttendanceMode": SCHEMA + _attendance_mode(seminar),
        "location": _locations(seminar, url),
        "organizer": [_organizer(organization) for organization in seminar.organizations],
        "offers": offer,
        "isAccessibleForFree": True,
        "maximumAttendeeCapacity": seminar.capacity,
        "image": absolute_url("static", filename="favicon-512.png"),
    }


def event_json_ld(seminar: Seminar, now: datetime) -> Markup:
    """The Event as JSON for a <script type="application/ld+json">; <, > and & escaped, so
    no text typed into the seminar can end the script element."""
    return htmlsafe_json_dumps(event_data(seminar, now), ensure_ascii=False)


def init_app(app: Flask) -> None:
    app.add_template_global(seminar_description)
    app.add_template_global(event_json_ld)
    app.add_template_global(absolute_url)
