"""Where a `next` parameter may send a person: a path on this site, never another host."""

from __future__ import annotations

from urllib.parse import urlsplit

from seminars.text import has_control_characters


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None.

    Refused as well: anything a browser or Werkzeug could turn into another host. A tab or
    newline is dropped by both (`/<TAB>/evil.example` becomes `//evil.example`), and a
    newline in a Location header is a 500; a backslash is read as a slash.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or has_control_characters(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
