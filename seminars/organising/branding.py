"""Domain: an organisation's look, for its public pages and its emails.

A logo, uploaded as PNG or SVG: size-checked, and an SVG rebuilt from an allow-list of
drawing elements and attributes (no scripts, event handlers, styles, links out or embedded
documents; one that has any is refused, not quietly changed). And an accent colour, refused
when text in it on the page's white (or its light grey panels) falls short of WCAG AA's
contrast of 4.5:1: the colour is used for links and, behind white text, for buttons.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass

from lxml import etree

from seminars.models import Organization, Organizer
from seminars.organising import audit

MAX_LOGO_BYTES = 200_000
MAX_LOGO_PIXELS = 2000  # wide or high
MIN_CONTRAST = 4.5
# The backgrounds accent text sits on: the page, and the light grey of its panels.
BACKGROUNDS = ("#ffffff", "#f3f5f7")
PNG = "image/png"
SVG = "image/svg+xml"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_SVG_ELEMENTS = {
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
    "tspan", "title", "desc", "defs", "lineargradient", "radialgradient", "stop", "clippath",
    "mask", "use", "symbol", "style",
}  # fmt: skip
_SVG_ATTRIBUTES = {
    "id", "class", "viewbox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy",
    "r", "rx", "ry", "d", "points", "fill", "fill-opacity", "fill-rule", "stroke",
    "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit",
    "stroke-dasharray", "opacity", "transform", "offset", "stop-color", "stop-opacity",
    "gradientunits", "gradienttransform", "spreadmethod", "fx", "fy", "clip-path", "clip-rule",
    "mask", "font-family", "font-size", "font-weight", "font-style", "text-anchor",
    "dominant-baseline", "letter-spacing", "preserveaspectratio", "version", "role",
    "aria-label", "aria-hidden", "href", "maskunits", "clippathunits", "dx", "dy", "style",
}  # fmt: skip
_ACTIVE_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler", "set"}
# A value that runs or loads something: javascript:, CSS @import, or url() of anything but
# a part of the same document (url(#gradient) is fine).
_ACTIVE_VALUE = re.compile(r"javascript:|@import|url\(\s*['\"]?(?!#)", re.IGNORECASE)


class BrandingRefused(Exception):
    """An upload or colour that cannot be used; `reason` says why, `values` the figures."""

    def __init__(self, reason: str, **values):
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str


def read_logo(data: bytes, filename: str) -> Logo:
    """A logo ready to store, or BrandingRefused ("too_big", "not_an_image", "too_many_pixels",
    "unsafe_svg")."""
    if len(data) > MAX_LOGO_BYTES:
        raise BrandingRefused("too_big", max=MAX_LOGO_BYTES)
    if data.startswith(_PNG_SIGNATURE):
        return Logo(_checked_png(data), PNG)
    if filename.lower().endswith(".svg") or b"<svg" in data[:2000]:
        return Logo(sanitised_svg(data), SVG)
    raise BrandingRefused("not_an_image")


def _checked_png(data: bytes) -> bytes:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise BrandingRefused("not_an_image")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_LOGO_PIXELS and 0 < height <= MAX_LOGO_PIXELS):
        raise BrandingRefused("too_many_pixels", max=MAX_LOGO_PIXELS)
    return data


def sanitised_svg(data: bytes) -> bytes:
    """The SVG rebuilt with only drawing in it. BrandingRefused("unsafe_svg") for anything
    that runs, loads or links (script, foreignObject, animation, on…= handlers, an href or
    url() out of the document, a DTD); ("not_an_image") for what is not an SVG document.
    Harmless things outside the allow-list (an editor's metadata) are dropped."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        raise BrandingRefused("not_an_image") from None
    if not isinstance(root.tag, str) or _local(root.tag) != "svg":
        raise BrandingRefused("not_an_image")
    if root.getroottree().docinfo.internalDTD is not None:
        raise BrandingRefused("unsafe_svg", what="DOCTYPE")
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            raise BrandingRefused("unsafe_svg", what="entity")
        _check_element(element)
    for element in list(root.iter()):
        _keep_drawing_only(element)
    return etree.tostring(root, encoding="utf-8")


def _local(tag) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _check_element(element) -> None:
    """Refuse what could run or reach out, wherever it is in the document."""
    name = _local(element.tag)
    if name in _ACTIVE_ELEMENTS or name.startswith("animate"):
        raise BrandingRefused("unsafe_svg", what=etree.QName(element.tag).localname)
    for attribute, value in element.attrib.items():
        local = etree.QName(attribute).localname.lower()
        reaches_out = local == "href" and not value.strip().startswith("#")
        if local.startswith("on") or reaches_out or _ACTIVE_VALUE.search(value):
            raise BrandingRefused("unsafe_svg", what=etree.QName(attribute).localname)
    if name == "style" and _ACTIVE_VALUE.search(element.text or ""):
        raise BrandingRefused("unsafe_svg", what="style")


def _keep_drawing_only(element) -> None:
    """Drop elements and attributes outside the allow-list (editors' metadata and such)."""
    parent = element.getparent()
    namespace = etree.QName(element.tag).namespace
    if parent is not None and (
        namespace not in (None, _SVG_NS) or _local(element.tag) not in _SVG_ELEMENTS
    ):
        parent.remove(element)
        return
    for attribute in list(element.attrib):
        qualified = etree.QName(attribute)
        if (
            qualified.namespace not in (None, _XLINK_NS)
            or qualified.localname.lower() not in _SVG_ATTRIBUTES
        ):
            del element.attrib[attribute]


def normalised_colour(text: str) -> str:
    """ "#1A5F7A", "1a5f7a" or "#abc" as "#1a5f7a"; BrandingRefused("not_a_colour")."""
    match = _COLOUR.fullmatch(text.strip())
    if match is None:
        raise BrandingRefused("not_a_colour")
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return "#" + digits


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of #rrggbb."""
    channels = []
    for start in (1, 3, 5):
        value = int(colour[start : start + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def checked_accent(text: str) -> str:
    """The colour, normalised, when it reads on every background; else BrandingRefused
    ("low_contrast") with the ratio it has against the worst one."""
    colour = normalised_colour(text)
    worst = min(contrast(colour, background) for background in BACKGROUNDS)
    if worst < MIN_CONTRAST:
        raise BrandingRefused("low_contrast", colour=colour, ratio=worst, needed=MIN_CONTRAST)
    return colour


def set_branding(
    organization: Organization,
    organizer: Organizer,
    *,
    accent_color: str,
    logo: Logo | None = None,
    remove_logo: bool = False,
) -> bool:
    """Store the colour (checked by `checked_accent`, or "" for the site's own) and a new
    logo or none; returns whether anything changed (then written to the audit log)."""
    before = (organization.accent_color, organization.logo_version)
    organization.accent_color = accent_color
    if logo is not None:
        organization.logo, organization.logo_type = logo.data, logo.content_type
        organization.logo_version = hashlib.sha256(logo.data).hexdigest()[:16]
    elif remove_logo:
        organization.logo, organization.logo_type, organization.logo_version = None, "", ""
    if (organization.accent_color, organization.logo_version) == before:
        return False
    audit.record(
        organizer,
        "branding_changed",
        organization_id=organization.id,
        detail={"logo": organization.logo_type, "accent": organization.accent_color},
    )
    return True
