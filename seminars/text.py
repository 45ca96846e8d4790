"""Small rules about text shared by every layer: which characters are controls, which are
invisible format characters a name must not hold, how an email address is compared, and
Swedish alphabetical order."""

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


ZERO_WIDTH_NON_JOINER = "\u200c"
ZERO_WIDTH_JOINER = "\u200d"
VIRAMA = 9  # canonical combining class of the Indic scripts' vowel killers
# Scripts whose letters join, where a zero-width non-joiner keeps two letters apart within a
# word: the Persian surname Hosseinzadeh is "حسین" + ZWNJ + "زاده".
_JOINING_SCRIPTS = ("ARABIC", "SYRIAC", "NKO", "MONGOLIAN", "MANDAIC")


def has_invisible_characters(text: str) -> bool:
    """Whether `text` holds invisible format characters (Unicode category Cf) that no
    script needs where they stand: direction marks, embeddings, overrides and isolates
    (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), zero-width spaces, the byte order mark,
    soft hyphens. In a name they show as nothing, yet can reorder or hide what a list, a
    badge or an export shows: "Anna " + U+202E (right-to-left override) + "dniL" shows as
    "Anna Lind", and is sorted and searched as "dniL".

    The zero-width joiners stay where a script uses them inside a word (see
    `_joiner_in_a_word`); real letters, Arabic, Hebrew, CJK and combining accents, are
    never format characters.
    """
    if text.isascii():
        return False
    return any(
        unicodedata.category(ch) == "Cf" and not _joiner_in_a_word(text, index)
        for index, ch in enumerate(text)
    )


def _joiner_in_a_word(text: str, index: int) -> bool:
    """A zero-width (non-)joiner after a virama (Devanagari, Bengali, Malayalam, …), or a
    zero-width non-joiner between two letters of a joining script (the rules IDNA's
    CONTEXTJ states, in short)."""
    ch = text[index]
    if ch not in (ZERO_WIDTH_NON_JOINER, ZERO_WIDTH_JOINER) or index == 0:
        return False
    before = text[index - 1]
    if unicodedata.combining(before) == VIRAMA:
        return True
    after = text[index + 1 : index + 2]
    return ch == ZERO_WIDTH_NON_JOINER and _joining_letter(before) and _joining_letter(after)


def _joining_letter(ch: str) -> bool:
    """A letter (or a mark on one) of a script whose letters join."""
    if not ch or unicodedata.category(ch)[0] not in "LM":
        return False
    return unicodedata.name(ch, "").startswith(_JOINING_SCRIPTS)


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


# An answer to a diet or accessibility question that says there is nothing to arrange: a
# bare "no"/"none", or "none in particular" with at most one word after it ("Ingen
# särskild kost", "Inga särskilda behov", "No special diet"). "Ingen laktos" says
# something about health and is not one of them.
_NOTHING_TO_ARRANGE = re.compile(
    r"(nej|no|nope|ingen|inga|inget|none|nothing|n/a|-+|–)"
    r"|(ingen|inga|inget) (särskild|särskilda|särskilt|speciell|speciella|speciellt)( \w+)?"
    r"|no (special|particular|specific)( \w+)?"
    r"|none in particular"
)


def says_something_about_health(answer: str) -> bool:
    """Whether an answer to a health question (diet, accessibility) tells anything about
    the person's health, so that storing it needs their consent (DESIGN guarantee 8)."""
    words = " ".join(answer.casefold().split()).rstrip(".!")
    return bool(words) and _NOTHING_TO_ARRANGE.fullmatch(words) is None
