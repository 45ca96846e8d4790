"""The SMTP connection a batch is sent over: `smtplib` with a timeout on every operation.

The settings are the MAIL_* ones Flask-Mail reads (server, port, TLS or SSL, login, and
MAIL_SUPPRESS_SEND, on by default in tests); MAIL_TIMEOUT bounds every socket operation, so
a mail server that stops answering cannot hang the worker.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

# Work done while the server reads what was sent, between a command and its answer.
Meanwhile = Callable[[], object]
# SMTP ends the data with a line holding one dot: a line of the mail starting with one gets
# a second (RFC 5321 4.5.2), as smtplib's `data` does.
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Settings:
    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    suppress: bool
    timeout: float

    @classmethod
    def from_app(cls) -> Settings:
        mail = current_app.extensions["mail"]
        return cls(
            server=mail.server,
            port=mail.port,
            use_tls=mail.use_tls,
            use_ssl=mail.use_ssl,
            username=mail.username,
            password=mail.password,
            suppress=mail.suppress,
            timeout=current_app.config["MAIL_TIMEOUT"],
        )


class Connection:
    """One SMTP session; `send` hands over one message, `close` ends the session politely.

    With MAIL_SUPPRESS_SEND nothing is sent and every message counts as accepted.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.host: smtplib.SMTP | None = None

    def open(self) -> Connection:
        if self.settings.suppress:
            return self
        smtp_class = smtplib.SMTP_SSL if self.settings.use_ssl else smtplib.SMTP
        host = smtp_class(self.settings.server, self.settings.port, timeout=self.settings.timeout)
        try:
            if self.settings.use_tls:
                host.starttls()
            if self.settings.username and self.settings.password:
                host.login(self.settings.username, self.settings.password)
        except BaseException:
            host.close()
            raise
        self.host = host
        return self

    def opened(self) -> Connection:
        """This session, opened first unless it is open (or sending is suppressed)."""
        if self.host is None:
            self.open()
        return self

    def _host(self) -> smtplib.SMTP:
        if self.host is None:
            raise smtplib.SMTPServerDisconnected("the connection is closed")
        return self.host

    def _refused(self, code: int) -> None:
        """After a refusal: a 421 closes the session, anything else resets the envelope."""
        if code == 421:
            self.drop()
        else:
            self._host().rset()

    def envelope(
        self, envelope_sender: str, recipient: str, size: int, meanwhile: Meanwhile = _nothing
    ) -> None:
        """MAIL FROM and RCPT TO: the server has not accepted the mail until `data`.
        `meanwhile` runs while the server reads MAIL FROM. Raises smtplib's errors (OSErrors
        too) as `sendmail` would."""
        if self.settings.suppress:
            meanwhile()
            return
        host = self._host()
        host.ehlo_or_helo_if_needed()
        size_option = f" size={size}" if host.does_esmtp and host.has_extn("size") else ""
        host.putcmd("mail", f"from:{smtplib.quoteaddr(envelope_sender)}{size_option}")
        meanwhile()
        code, answer = host.getreply()
        if code != 250:
            self._refused(code)
            raise smtplib.SMTPSenderRefused(code, answer, envelope_sender)
        code, answer = host.rcpt(recipient)
        if code not in (250, 251):
            self._refused(code)
            raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})

    def data(self, content: bytes, meanwhile: Meanwhile = _nothing) -> None:
        """Hand over the mail (CRLF line ends); when this returns, the server has accepted
        it. `meanwhile` runs while the server reads it."""
        if self.settings.suppress:
            meanwhile()
            return
        host = self._host()
        code, answer = host.docmd("data")
        if code == 354:
            host.send(_LEADING_DOT.sub(b"..", content).removesuffix(b"\r\n") + b"\r\n.\r\n")
            meanwhile()
            code, answer = host.getreply()
        if code != 250:
            self._refused(code)
            raise smtplib.SMTPDataError(code, answer)

    def drop(self) -> None:
        """The server went away: forget the session without a goodbye."""
        if self.host is not None:
            self.host.close()
            self.host = None

    def close(self) -> None:
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            # The server went away; everything it accepted is already recorded as sent.
            self.host.close()
        self.host = None


def connection_lost(error: BaseException) -> bool:
    """Whether the server went away (or timed out), as opposed to refusing this one message.

    smtplib's errors are OSErrors too, so the order of these checks matters.
    """
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421  # "service not available, closing channel"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _message in error.recipients.values())
    return not isinstance(error, smtplib.SMTPException)


def permanent_refusal(error: BaseException) -> bool:
    """A 5xx answer to this recipient or this message: the address does not work, and
    trying again will not change that."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= error.smtp_code < 600
    return False
