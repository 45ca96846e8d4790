"""The sites an organisation lets frame its embedded signup and seminar list.

Each is an origin, `https://host[:port]`, and ends up in a Content-Security-Policy header
(`frame-ancestors`), so nothing else may get through: no path, no wildcard, no user name,
no space or semicolon. Plain http only for the organiser's own machine (localhost,
127.0.0.1), to try the snippet before publishing it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from seminars.models import Organization, Organizer
from seminars.organising import audit

MAX_ORIGINS = 20
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
DEFAULT_PORTS = {"https": 443, "http": 80}
# A DNS name in ASCII (IDNA), or an IPv4 address: labels of letters, digits and hyphens.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class InvalidOrigin(ValueError):
    """A line that is not an origin this app can allow; `.line` is what was typed."""

    def __init__(self, line: str, reason: str):
        super().__init__(line, reason)
        self.line = line
        self.reason = reason  # "format", "http" or "too many"


def _host(hostname: str) -> str | None:
    try:
        ascii_host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    return ascii_host


def _split(line: str) -> tuple[str, str | None, int | None]:
    """(scheme, ASCII host or None, port) of a bare origin; InvalidOrigin if it has more."""
    text = line.strip().rstrip("/")
    if any(character.isspace() or character in ";,'\"" for character in text):
        raise InvalidOrigin(line, "format")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidOrigin(line, "format") from None
    if any((parts.username, parts.password, parts.path, parts.query, parts.fragment)):
        raise InvalidOrigin(line, "format")
    return parts.scheme.lower(), _host(parts.hostname or ""), port


def normalise_origin(line: str) -> str:
    """`line` as the origin a browser would send (lower case, no default port, no slash)."""
    scheme, host, port = _split(line)
    if scheme not in DEFAULT_PORTS or host is None:
        raise InvalidOrigin(line, "format")
    if scheme == "http" and host not in LOCAL_HOSTS:
        raise InvalidOrigin(line, "http")
    origin = f"{scheme}://{host}"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        origin += f":{port}"
    return origin


def parse_origins(text: str) -> list[str]:
    """One origin per line (blank lines ignored, duplicates once); InvalidOrigin on the first
    line that is not one."""
    origins: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        origin = normalise_origin(line)
        if origin not in origins:
            origins.append(origin)
        if len(origins) > MAX_ORIGINS:
            raise InvalidOrigin(line, "too many")
    return origins


def set_embed_origins(organization: Organization, origins: list[str], by: Organizer) -> bool:
    """Store the allowed origins (already parsed); returns whether they changed. Audited:
    who may frame the signup form is a security setting."""
    if list(organization.embed_origins or []) == origins:
        return False
    organization.embed_origins = origins
    audit.record(
        by,
        "embed_origins_changed",
        organization_id=organization.id,
        detail=" ".join(origins),
    )
    return True


def frame_ancestors(organizations: list[Organization]) -> list[str]:
    """Every origin any of these organisations allows, once each, in a stable order."""
    seen: dict[str, None] = {}
    for organization in organizations:
        for origin in organization.embed_origins or []:
            seen.setdefault(origin, None)
    return list(seen)
