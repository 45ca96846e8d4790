"""The MIME writer (`message.as_bytes`) writes what the standard library's email package
writes for the same email, byte for byte apart from the random boundaries, and what it
writes parses back to the same text, HTML and attachments."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage, MIMEPart
from email.policy import EmailPolicy

from hypothesis import given, settings
from hypothesis import strategies as st

from seminars.mail import message
from seminars.mail.message import CalendarFile, Email, InlineImage

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3


class _Prepared(EmailPolicy):
    """The policy the writer replaced: header values stored and written as encoded."""

    def header_max_count(self, name):
        return None

    def header_store_parse(self, name, value):
        return (name, str(value))

    def header_fetch_parse(self, name, value):
        return value

    def fold(self, name, value):
        return f"{name}: {value}{self.linesep}"

    def fold_binary(self, name, value):
        return self.fold(name, value).encode("ascii")


PREPARED = _Prepared(linesep="\r\n")


def _reference(mail: Email, date: str) -> bytes:
    """The same email built with EmailMessage, as the app did before."""
    text = MIMEPart(policy=PREPARED)
    text.set_content(mail.text, cte="quoted-printable")
    html = MIMEPart(policy=PREPARED)
    html.set_content(mail.html, subtype="html", cte="base64")
    if mail.inline_images:
        related = MIMEPart(policy=PREPARED)
        related.make_related()
        related.attach(html)
        for image in mail.inline_images:
            part = MIMEPart(policy=PREPARED)
            part.set_content(
                image.png, "image", "png", disposition="inline", filename=image.filename
            )
            part["Content-ID"] = f"<{image.content_id}>"
            related.attach(part)
        html = related
    alternative = MIMEPart(policy=PREPARED)
    alternative.make_alternative()
    alternative.attach(text)
    alternative.attach(html)
    whole = EmailMessage(policy=PREPARED)
    whole.make_mixed()
    whole.attach(alternative)
    for calendar_file in mail.calendar_files:
        part = MIMEPart(policy=PREPARED)
        part.set_content(
            calendar_file.body,
            subtype="calendar",
            cte="base64",
            disposition="attachment",
            filename=calendar_file.filename,
            params={"method": calendar_file.method},
        )
        whole.attach(part)
    whole["MIME-Version"] = "1.0"
    whole["Subject"] = message.text_header(mail.subject)
    whole["From"] = message.mailbox_header(*mail.sender)
    whole["To"] = message.mailbox_header(*mail.recipient)
    if mail.reply_to is not None:
        whole["Reply-To"] = message.mailbox_header(*mail.reply_to)
    whole["Date"] = date
    whole["Message-ID"] = mail.message_id
    whole["Auto-Submitted"] = "auto-generated"
    return whole.as_bytes()


def _numbered_boundaries(raw: bytes) -> bytes:
    """Each boundary replaced by its order of first appearance."""
    names: dict[bytes, bytes] = {}
    for found in re.findall(rb'boundary="([^"]+)"', raw):
        names.setdefault(found, b"boundary-%d" % len(names))
    for found, name in names.items():
        raw = raw.replace(found, name)
    return raw


def _same_date(raw: bytes, date: str) -> bytes:
    return re.sub(rb"\r\nDate: [^\r]*\r\n", f"\r\nDate: {date}\r\n".encode(), raw, count=1)


def _email(text: str, html: str, **extra) -> Email:
    return Email(
        subject=extra.pop("subject", "Påminnelse: Inflytande och hälsa?"),
        sender=("OFR – Offentliganställdas förhandlingsråd", "seminarier@example.org"),
        recipient=extra.pop("recipient", ("Åsa Plesner", "asa@example.org")),
        text=text,
        html=html,
        message_id="<7.0123456789abcdef.outbox@seminarier.example.org>",
        **extra,
    )


def _check(mail: Email) -> None:
    date = "Tue, 01 Dec 2026 09:00:00 +0000"
    written = message.as_bytes(mail)
    assert _numbered_boundaries(_same_date(written, date)) == _numbered_boundaries(
        _reference(mail, date)
    )
    parsed = email.message_from_bytes(written, policy=policy.default)
    for subtype, typed in (("plain", mail.text), ("html", mail.html)):
        read = parsed.get_body((subtype,)).get_content().replace("\r\n", "\n")
        assert read == _lines_back(typed)


def _lines_back(text: str) -> str:
    """What a reader gets back: the lines as typed, each ending in one line end."""
    return "".join(line.decode() + "\n" for line in text.encode().splitlines()) or "\n"


CALENDAR = CalendarFile(
    "inflytande-och-halsa.ics", "BEGIN:VCALENDAR\r\nSUMMARY:Hälsa\r\nEND:VCALENDAR\r\n", "PUBLISH"
)


def test_a_reminder_with_a_calendar_file_is_written_as_the_email_package_writes_it():
    text = (
        "Hej Åsa!\n\nVälkommen till Inflytande och hälsa med tillitsbaserad styrning? tisdag "
        "1 december 2026 kl. 10.00! Här är en påminnelse om tid och plats.\n\n"
        "Din anmälan: https://seminarier.example.org/r/" + "A" * 90 + "\n\n-- \nOFR\n"
    )
    mail = _email(text, "<p>Hej Åsa!</p>\n<p>Tid & plats</p>\n", calendar_files=[CALENDAR])
    mail.reply_to = ("Åsa Plesner", "asa.plesner@example.org")
    _check(mail)
    parsed = email.message_from_bytes(message.as_bytes(mail), policy=policy.default)
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "inflytande-och-halsa.ics"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_content() == CALENDAR.body


def test_a_confirmation_with_an_inline_image_and_odd_names_is_written_the_same():
    image = InlineImage("check-in-7@seminarier.example.org", PNG)
    mail = _email(
        "Hej\r\n.\r\nFrom here\ttab \nsista rad utan radslut",
        "<p>Hej</p>",
        recipient=('Anna "Q" O\'Brien, Ö', "anna@exämple.org"),
        inline_images=[image],
        calendar_files=[CalendarFile("möte.ics", "BEGIN:VCALENDAR", "CANCEL")],
    )
    _check(mail)
    parsed = email.message_from_bytes(message.as_bytes(mail), policy=policy.default)
    [png] = [part for part in parsed.walk() if part.get_content_type() == "image/png"]
    assert png.get_content() == PNG and png["Content-ID"] == f"<{image.content_id}>"
    assert parsed["To"].addresses[0].domain == "xn--exmple-cua.org"


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400),
    html=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200),
    spaces=st.integers(min_value=60, max_value=90),
)
def test_any_text_is_written_as_the_email_package_writes_it(text, html, spaces):
    # Long lines and lines ending in blanks are where quoted-printable breaks lines.
    _check(_email(text + "\n" + "x" * spaces + " \n" + "å" * (spaces // 3), html))
