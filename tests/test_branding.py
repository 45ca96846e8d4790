"""An organisation's logo and accent colour (issue 13, item 8): checked on upload, refused
with a clear message, shown on its public pages and in its emails."""

from __future__ import annotations

import email as email_parser
import io
import struct
import zlib
from email import policy as email_policy

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.mail import render
from seminars.mail.message import as_bytes
from seminars.models import AuditEvent, Organization, OutboxMessage
from seminars.organising import branding
from tests.conftest import attendee, log_in, register


def png(width: int = 4, height: int = 2) -> bytes:
    """A real PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x0b\x53\x94" * width for _row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SVG_WITH_METADATA = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
    b'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" viewBox="0 0 40 10" '
    b'inkscape:version="1.2"><metadata>editor</metadata><rect width="40" height="10" '
    b'fill="#0b5394"/></svg>'
)


@pytest.fixture
def organization(organization_factory):
    organization = organization_factory("Malmö universitet")
    db.session.commit()
    return organization


@pytest.fixture
def organizer(client, organizer_factory, organization):
    organizer = organizer_factory(organization)
    log_in(client, organizer)
    return organizer


def page_url(organization) -> str:
    return f"/organizer/organizations/{organization.id}/branding"


def post(client, organization, **data):
    return client.post(page_url(organization), data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(
    ("colour", "ratio"),
    [("#ffcc00", "1,4"), ("#767676", "4,2"), ("#3399ff", "2,7")],
)
def test_a_colour_that_fails_wcag_aa_is_refused_with_its_contrast(
    client, organizer, organization, colour, ratio
):
    response = post(client, organization, accent_color=colour)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Färgen {colour} har en kontrast på bara {ratio}:1 mot den vita bakgrunden" in page
    assert "Den behöver minst 4,5:1 (WCAG AA). Välj en mörkare färg." in page
    assert f'value="{colour}"' in page
    assert db.session.get(Organization, organization.id).accent_color == ""


def test_contrast_is_computed_as_wcag_defines_it():
    assert branding.contrast("#000000", "#ffffff") == pytest.approx(21)
    assert branding.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert branding.checked_accent("0B5394") == "#0b5394"
    with pytest.raises(branding.BrandingRefused):
        branding.checked_accent("#777")  # 4.48:1 on white


def test_a_readable_colour_and_a_png_logo_show_on_the_organisations_pages(
    client, organizer, organization, seminar_factory
):
    seminar = seminar_factory(organization=organization)
    logo = png()

    response = post(
        client, organization, accent_color="#1A5F7A", logo=(io.BytesIO(logo), "logo.png")
    )

    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.get(Organization, organization.id)
    assert (stored.accent_color, stored.logo_type) == ("#1a5f7a", "image/png")
    assert "branding_changed" in db.session.scalars(select(AuditEvent.action)).all()
    for path in (f"/o/{organization.slug}", f"/seminars/{seminar.slug}"):
        page = client.get(path).get_data(as_text=True)
        assert f"/o/{organization.slug}/brand.css" in page, path
        assert f'src="/o/{organization.slug}/logo?v={stored.logo_version}"' in page, path
        assert 'alt="Malmö universitet"' in page
    css = client.get(f"/o/{organization.slug}/brand.css").get_data(as_text=True)
    assert "--accent: #1a5f7a" in css
    served = client.get(f"/o/{organization.slug}/logo")
    assert (served.data, served.mimetype) == (logo, "image/png")


def test_an_svg_logo_is_rebuilt_without_what_an_editor_leaves_in_it(
    client, organizer, organization
):
    post(client, organization, logo=(io.BytesIO(SVG_WITH_METADATA), "logo.svg"))

    served = client.get(f"/o/{organization.slug}/logo")
    assert served.mimetype == "image/svg+xml"
    assert b"<rect" in served.data
    assert b"metadata" not in served.data and b"inkscape:version" not in served.data
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("svg", "what"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "script"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "onload"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
            b'<a x:href="javascript:alert(1)"><rect width="1" height="1"/></a></svg>',
            "href",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://t.example/p.png"/>'
            b"</svg>",
            "href",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>', "foreignObject"),
        (
            b'<!DOCTYPE svg [<!ENTITY big "x">]><svg xmlns="http://www.w3.org/2000/svg">&big;'
            b"</svg>",
            "DOCTYPE",
        ),
    ],
)
def test_an_svg_that_could_run_or_load_something_is_refused(
    client, organizer, organization, svg, what
):
    response = post(client, organization, logo=(io.BytesIO(svg), "logo.svg"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"SVG-filen innehåller något som inte är tillåtet i en logotyp ({what})" in page
    assert db.session.get(Organization, organization.id).logo_type == ""


def test_a_large_file_or_something_else_is_refused(client, organizer, organization):
    too_big = post(client, organization, logo=(io.BytesIO(b"\0" * 300_000), "logo.png"))
    assert "Filen är större än 200 kB" in too_big.get_data(as_text=True)
    huge = post(client, organization, logo=(io.BytesIO(png(4000, 1)), "logo.png"))
    assert "Bilden är för stor" in huge.get_data(as_text=True)
    text = post(client, organization, logo=(io.BytesIO(b"GIF89a"), "logo.png"))
    assert "Filen är inte en PNG- eller SVG-bild." in text.get_data(as_text=True)
    wrong = post(client, organization, logo=(io.BytesIO(b"x"), "logo.gif"))
    assert "Välj en PNG- eller SVG-fil." in wrong.get_data(as_text=True)


def test_another_organisations_page_is_not_found(client, organizer, organization_factory):
    other = organization_factory("OFR")
    db.session.commit()

    assert client.get(page_url(other)).status_code == 404
    assert post(client, other, accent_color="#000000").status_code == 404


def test_emails_carry_the_logo_and_the_colour(app, organization, seminar_factory):
    logo = png()
    organization.accent_color = "#1a5f7a"
    organization.logo, organization.logo_type, organization.logo_version = (
        logo,
        "image/png",
        "abc",
    )
    seminar = seminar_factory(organization=organization)
    register(seminar, attendee("anna@example.org"))
    db.session.commit()
    row = db.session.scalars(select(OutboxMessage)).one()

    email = render.render(row)

    [image] = [image for image in email.inline_images if image.content_id.startswith("logo-")]
    assert image.png == logo
    assert f'src="cid:{image.content_id}"' in email.html
    assert "border-top:6px solid #1a5f7a" in email.html
    assert 'lang="sv"' in email.html and "<h1" in email.html and '<th scope="row"' in email.html
    # The text part says the same, without the picture.
    assert "Du är anmäld till" in email.text and "Du är anmäld till" in email.html
    # MIME: the logo travels inline beside the HTML part.
    message = email_parser.message_from_bytes(as_bytes(email), policy=email_policy.default)
    assert any(part["Content-ID"] == f"<{image.content_id}>" for part in message.walk())
