"""Reading people out of text an organiser copied from their inbox, or out of a CSV file.

Pure functions: no database, no Flask. Each line (or CSV row) becomes a `Person`, an
in-paste duplicate, or an `Unreadable` with the reason; deciding who is already registered
and what status they would get is `roster.preview_import`'s job.

The pasted forms people actually send, all understood:

    Anna Andersson <anna@kommun.se>, Nyköpings kommun
    "Berg, Sofia" <sofia.berg@vision.se>          (Outlook's "Surname, First name")
    per.oberg@region.se                           (name guessed from the address)
    Johan Larson; johan@vardforbundet.se; Vårdförbundet
    Lars Fresker<TAB>lars@ofr.se<TAB>OFR           (copied from a spreadsheet)
    Från: Anna <anna@kommun.se>                   (header prefixes and "> " quoting dropped)
    anna@kommun.se, per@region.se                 (several addresses: one person each)
"""

from __future__ import annotations

import csv
import enum
import io
import re
import unicodedata
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from seminars.text import email_key, has_control_characters, has_invisible_characters

MAX_LINE_LENGTH = 1000
MAX_NAME_LENGTH = 200
MAX_ORGANIZATION_LENGTH = 200

_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
_HEADER_PREFIX = re.compile(
    r"^(?:från|from|till|to|kopia|cc|bcc|hemlig kopia|avsändare|sender|reply-to|svara till)\s*:\s*",
    re.IGNORECASE,
)
_QUOTE_MARKERS = re.compile(r"^(?:>\s*)+")

# Header words recognised in the first CSV row, Swedish and English.
_NAME_HEADERS = {"name", "namn", "full name", "fullständigt namn", "deltagare", "attendee"}
_FIRST_NAME_HEADERS = {"first name", "firstname", "given name", "förnamn"}
_LAST_NAME_HEADERS = {"last name", "lastname", "surname", "family name", "efternamn"}
_EMAIL_HEADERS = {
    "email",
    "e-mail",
    "e-post",
    "epost",
    "mail",
    "e-postadress",
    "epostadress",
    "email address",
    "e-mail address",
    "mejl",
    "mejladress",
}
_ORGANIZATION_HEADERS = {
    "organisation",
    "organization",
    "org",
    "organisation/företag",
    "företag",
    "company",
    "arbetsplats",
    "myndighet",
    "förvaltning",
    "arbetsgivare",
    "employer",
    "förbund",
}


class Problem(enum.StrEnum):
    """Why a line could not be read; the web layer words it for the organiser."""

    NO_EMAIL = "no_email"
    INVALID_EMAIL = "invalid_email"
    SEVERAL_EMAILS = "several_emails"
    TOO_LONG = "too_long"
    CONTROL_CHARACTERS = "control_characters"
    INVISIBLE_CHARACTERS = "invisible_characters"  # in a name or organisation (text.py)


@dataclass(frozen=True)
class Person:
    """Someone to add, as read from one line (`line_number` counts from 1)."""

    name: str
    email: str
    organization: str
    line_number: int
    line: str
    name_guessed: bool = False

    @property
    def email_key(self) -> str:
        return email_key(self.email)


@dataclass(frozen=True)
class Unreadable:
    line_number: int
    line: str
    problem: Problem


@dataclass
class ParsedImport:
    """People in the order they were written, repeats of someone already read, and the rest."""

    people: list[Person] = field(default_factory=list)
    repeated: list[Person] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, repr=False)

    def add(self, found: list[Person] | Unreadable) -> None:
        if isinstance(found, Unreadable):
            self.unreadable.append(found)
            return
        for person in found:
            if person.email_key in self._seen:
                self.repeated.append(person)
            else:
                self.people.append(person)
                self._seen.add(person.email_key)


def parse_pasted(text: str) -> ParsedImport:
    """Read pasted lines; blank lines are skipped, everything else is accounted for.

    A first line of column headings (pasted from a spreadsheet) says which column is which.
    """
    rows = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _clean_line(raw)
        if line.strip():
            rows.append((number, _split_fields(line), raw.strip()))
    return _parse_rows(rows)


def decode_csv(data: bytes) -> str:
    """CSV bytes as text: UTF-8 with or without BOM, else Windows-1252 (Excel's "CSV" in Sweden)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_csv(text: str) -> ParsedImport:
    """Read CSV text (`;`, `,` or tab separated), with or without a header row."""
    # newline="": lines may end in a lone CR (Excel for Mac) as well as LF or CRLF.
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=_delimiter(text))
    rows = []
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            cells = [_clean_field(cell) for cell in row]
            if any(cells):
                rows.append((number, cells, "; ".join(c for c in cells if c)))
    except csv.Error:
        # A field past csv's own size limit (128 KB); the rest of the file cannot be read.
        parsed = _parse_rows(rows)
        parsed.add(Unreadable(number + 1, "", Problem.TOO_LONG))
        return parsed
    return _parse_rows(rows)


def _parse_rows(rows: list[tuple[int, list[str], str]]) -> ParsedImport:
    parsed = ParsedImport()
    columns = _header_columns(rows[0][1]) if rows else None
    if columns is not None:
        rows = rows[1:]
    for number, fields, source in rows:
        if len(source) > MAX_LINE_LENGTH:
            parsed.add(Unreadable(number, source[:MAX_LINE_LENGTH], Problem.TOO_LONG))
        elif columns is not None:
            parsed.add(_read_columns(fields, columns, number, source))
        else:
            parsed.add(_read_fields([f for f in fields if f], number, source))
    return parsed


def _clean_line(raw: str) -> str:
    """The line without quoting and header prefixes; tabs are kept, they separate columns."""
    line = unicodedata.normalize("NFC", raw).strip(" \r\n\ufeff\xa0")
    line = _QUOTE_MARKERS.sub("", line)
    return _HEADER_PREFIX.sub("", line)


def _clean_field(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split())


def _split_fields(line: str) -> list[str]:
    """Split on tabs if there are any, else on `;`, else on `,` – never inside "…" or <…>.

    Empty fields are kept, so columns stay in place under a header row.
    """
    if "\t" in line:
        separator = "\t"
    elif ";" in _outside_quotes(line):
        separator = ";"
    else:
        separator = ","
    fields, current, quoted, bracketed = [], [], False, False
    for character in line:
        if character == '"':
            quoted = not quoted
        elif character == "<" and not quoted:
            bracketed = True
        elif character == ">" and not quoted:
            bracketed = False
        if character == separator and not quoted and not bracketed:
            fields.append("".join(current))
            current = []
        else:
            current.append(character)
    fields.append("".join(current))
    return [_clean_field(f) for f in fields]


def _outside_quotes(line: str) -> str:
    return re.sub(r'"[^"]*"|<[^>]*>', "", line)


def _read_fields(fields: list[str], number: int, source: str) -> list[Person] | Unreadable:
    """One person from fields in any order: the one with the address, a name, an organisation."""
    with_at = [f for f in fields if "@" in f]
    found = [address for f in with_at for address in _ADDRESS.findall(f)]
    if not with_at:
        return Unreadable(number, source, Problem.NO_EMAIL)
    if len(found) > 1:
        return _one_per_field(fields, with_at, found, number, source)
    if len(with_at) > 1 or not found:
        return Unreadable(number, source, Problem.INVALID_EMAIL)

    at = fields.index(with_at[0])
    name, trailing = _around_address(fields[at], found[0])
    others = [f.strip('"').strip() for f in [*fields[:at], trailing, *fields[at + 1 :]]]
    others = [o for o in others if o]
    if not name and others:
        name, others = others[0], others[1:]
    return _person(name, found[0], ", ".join(others), number, source)


def _one_per_field(
    fields: list[str], with_at: list[str], found: list[str], number: int, source: str
) -> list[Person] | Unreadable:
    """A copied To: line – every field one address – is one person per field; other lines
    with several addresses are unreadable."""
    if len(found) == len(fields) == len(with_at):
        people = [_read_fields([f], number, source) for f in fields]
        if all(isinstance(p, list) for p in people):
            return [person for group in people for person in group]
    return Unreadable(number, source, Problem.SEVERAL_EMAILS)


def _read_columns(
    row: list[str], columns: dict[str, int], number: int, source: str
) -> list[Person] | Unreadable:
    """One person from a row under a header row: each value is in its own column."""

    def cell(role: str) -> str:
        position = columns.get(role)
        return row[position] if position is not None and position < len(row) else ""

    name = cell("name") or " ".join(p for p in (cell("first"), cell("last")) if p)
    address = cell("email")
    if "@" not in address:
        return Unreadable(number, source, Problem.NO_EMAIL)
    found = _ADDRESS.findall(address)
    if len(found) != 1:
        problem = Problem.SEVERAL_EMAILS if found else Problem.INVALID_EMAIL
        return Unreadable(number, source, problem)
    return _person(
        name or _around_address(address, found[0])[0],
        found[0],
        cell("organization"),
        number,
        source,
    )


def _person(
    name: str, address: str, organization: str, number: int, source: str
) -> list[Person] | Unreadable:
    if has_control_characters(name + address + organization, allowed="\t\n"):
        return Unreadable(number, source, Problem.CONTROL_CHARACTERS)
    if has_invisible_characters(name) or has_invisible_characters(organization):
        return Unreadable(number, source, Problem.INVISIBLE_CHARACTERS)
    try:
        email = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return Unreadable(number, source, Problem.INVALID_EMAIL)
    name_guessed = not name
    if name_guessed:
        name = _name_from_address(email)
    if len(name) > MAX_NAME_LENGTH or len(organization) > MAX_ORGANIZATION_LENGTH:
        return Unreadable(number, source, Problem.TOO_LONG)
    return [Person(name, email, organization, number, source, name_guessed and bool(name))]


def _around_address(text: str, address: str) -> tuple[str, str]:
    """(name, anything after) written around an address in one field.

    Understands `Name <a@b>`, `"Surname, First" <a@b>`, `a@b (Name)` and `Name a@b Org`.
    """
    before, _, after = text.partition(address)
    before = before.strip().removesuffix("<").removesuffix("mailto:").strip()
    after = after.strip().removeprefix(">").strip()
    if after.startswith("(") and after.endswith(")"):
        after = after[1:-1].strip()
        if not before:
            before, after = after, ""
    name = " ".join(before.strip("'\"").split())
    surname, comma, first = name.partition(",")
    if comma and surname.strip() and first.strip() and "," not in first:
        # Outlook shows colleagues as "Berg, Sofia": badges want "Sofia Berg".
        name = f"{first.strip()} {surname.strip()}"
    return name, after.strip("'\"").strip()


def _name_from_address(email: str) -> str:
    """`per.oberg@…` → "Per Oberg"; a mailbox like `kansli@…` gives no name."""
    local = email.split("@", 1)[0]
    parts = [p for p in re.split(r"[._-]+", local) if p]
    if len(parts) < 2 or not all(p.isalpha() for p in parts):
        return ""
    return " ".join(p.capitalize() for p in parts)


def _delimiter(text: str) -> str:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    return max(";,\t", key=unquoted.count)


def _header_columns(row: list[str]) -> dict[str, int] | None:
    """Column positions by role when the first row is a header, else None."""
    roles = {}
    for position, cell in enumerate(row):
        heading = cell.strip().strip("\ufeff").lower().rstrip(":")
        for role, names in (
            ("name", _NAME_HEADERS),
            ("first", _FIRST_NAME_HEADERS),
            ("last", _LAST_NAME_HEADERS),
            ("email", _EMAIL_HEADERS),
            ("organization", _ORGANIZATION_HEADERS),
        ):
            if heading in names:
                roles.setdefault(role, position)
    if "email" not in roles or any("@" in cell for cell in row):
        return None
    return roles
