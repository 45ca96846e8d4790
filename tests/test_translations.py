"""Swedish is the default language, so every UI string in the code must have a Swedish text."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "seminars/translations/sv/LC_MESSAGES/messages.po"
METHODS = [
    ("seminars/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _msgids_in_code() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_ui_string_has_a_swedish_translation():
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po, locale="sv")
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalogue
        if m.id and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    in_code = _msgids_in_code()
    assert "Sign up" in in_code  # the extraction itself works
    missing = sorted(in_code - translated)
    assert missing == [], f"untranslated (run make translations-update): {missing[:20]}"
