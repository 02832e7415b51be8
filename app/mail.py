"""Outgoing mail: SMTP in production, the console in development (MAIL_BACKEND)."""
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

from app.mail_html import email_logo, render_html


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    reason: str | None = None  # why they got it, shown at the foot of the HTML version


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """multipart/alternative: the text as written, then the same in HTML with the organisation's name,
    colour and logo (an inline part the HTML names by cid:, so no image is fetched from the web).
    Needs an app context (the template and the branding settings)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="postready.local")
    message.set_content(mail.text)
    logo = email_logo(current_app.config)
    logo_cid = make_msgid(domain="postready.local") if logo else None
    message.add_alternative(render_html(mail.text, mail.subject, mail.reason, logo_cid and logo_cid[1:-1]),
                            subtype="html")
    if logo:
        html_part = message.get_payload()[1]
        html_part.add_related(logo.data, logo.maintype, logo.subtype, cid=logo_cid,
                              disposition="inline", filename=f"logo.{logo.subtype}")
    return message


class MailFailed(Exception):
    """One message could not be sent (a refused or malformed address, a lost connection)."""


class Mailer:
    """Sends over one connection for a batch; use as a context manager."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        c = self.config
        if c["MAIL_BACKEND"] == "smtp":
            context = ssl.create_default_context()
            if c["MAIL_USE_SSL"]:
                self.smtp = smtplib.SMTP_SSL(c["MAIL_SERVER"], c["MAIL_PORT"], context=context, timeout=30)
            else:
                self.smtp = smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=30)
                if c["MAIL_USE_TLS"]:
                    self.smtp.starttls(context=context)
            if c["MAIL_USERNAME"]:
                self.smtp.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"] or "")
        elif c["MAIL_BACKEND"] != "console":
            raise ValueError(f"unknown MAIL_BACKEND {c['MAIL_BACKEND']!r} (use smtp or console)")
        return self

    def send(self, mail: Mail) -> None:
        """Send one message; raises MailFailed (the batch goes on) when it cannot be sent."""
        try:
            message = build_message(mail, self.config["MAIL_FROM"])
            if self.smtp is None:
                # Shown as written (not quoted-printable), so a link in it can be copied whole.
                shown = f"To: {mail.to}\nSubject: {mail.subject}\n\n{mail.text}"
                current_app.logger.info("mail (console backend)\n%s", shown)
                print(shown, flush=True)  # noqa: T201 - the console backend's purpose
                return
            try:
                self.smtp.send_message(message)
            except smtplib.SMTPServerDisconnected:  # the server hung up after an earlier failure: once more
                self.__exit__()
                self.__enter__()
                self.smtp.send_message(message)
        except (smtplib.SMTPException, OSError, UnicodeError, ValueError) as exc:
            raise MailFailed(f"{type(exc).__name__}: {exc}"[:500]) from exc

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except smtplib.SMTPException:
                pass
