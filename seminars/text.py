"""Small rules about text shared by every layer: which characters are controls, how an
email address is compared, and Swedish alphabetical order."""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, lone surrogates and
# the non-characters U+FFFE/U+FFFF: none of them is text a person meant to type, CR and LF
# in a header start a new one, and several make an XLSX file invalid.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def has_control_characters(text: str, *, allowed: str = "") -> bool:
    if allowed:
        text = text.translate({ord(ch): " " for ch in allowed})
    return CONTROL_CHARACTERS.search(text) is not None


def without_control_characters(text: str, *, allowed: str = "") -> str:
    return "".join(ch for ch in text if ch in allowed or not CONTROL_CHARACTERS.match(ch))


def single_line(text: str | None) -> str:
    """Every run of control characters and spaces becomes one space (header values)."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text or "").split())


def email_key(email: str) -> str:
    """An address as compared for "the same person": trimmed, case-blind."""
    return email.strip().lower()


# Swedish alphabet order: å, ä, ö come after z (æ and ø sort as ä and ö).
_SWEDISH_LAST_LETTERS = str.maketrans({"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}"})


def swedish_sort_key(text: str) -> str:
    """Sort as a Swedish reader expects: case-blind, å ä ö after z, é with e."""
    folded = text.casefold().translate(_SWEDISH_LAST_LETTERS)
    decomposed = unicodedata.normalize("NFD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
