"""Email over SMTP (aiosmtplib): one message, with a deterministic Message-ID.

Errors are described by their class and SMTP code only: an SMTP error's text can echo the
recipient's address, and these descriptions are stored and shown in the deliveries list.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib

from complaints.settings import Settings


class PermanentFailure(Exception):
    """The server refused for good (5xx): retrying will not help."""


def message_id(delivery_id: str, mail_from: str) -> str:
    domain = parseaddr(mail_from)[1].partition("@")[2] or "complaints.local"
    return f"<{delivery_id}@{domain}>"


def build(settings: Settings, *, delivery_id: str, to: str, subject: str, body: str, language: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id(delivery_id, settings.mail_from)
    msg["Date"] = formatdate(usegmt=True)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    msg["Content-Language"] = language  # after set_content, which clears Content-* headers
    return msg


async def send(settings: Settings, msg: EmailMessage) -> None:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    try:
        await aiosmtplib.send(msg, hostname=settings.smtp_host, port=settings.smtp_port,
                              username=settings.smtp_username, password=password,
                              start_tls=settings.smtp_starttls, timeout=10)
    except aiosmtplib.SMTPResponseException as exc:
        if exc.code >= 500:
            raise PermanentFailure(f"SMTP {exc.code} ({type(exc).__name__})") from None
        raise ConnectionError(f"SMTP {exc.code} ({type(exc).__name__})") from None
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = sorted({e.code for e in exc.recipients})
        raise PermanentFailure(f"recipient refused (SMTP {', '.join(map(str, codes))})") from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise ConnectionError(f"SMTP unavailable ({type(exc).__name__})") from None
