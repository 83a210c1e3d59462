"""E-mail copies of notifications (``PORTAL_SMTP_URL``), sent exactly once.

``deliver_pending_email(settings)`` is what a scheduled job calls every minute or so:
it claims each unsent message with a conditional UPDATE (``emailed_at IS NULL``), so
two processes running it at once never send the same e-mail twice. Sending happens
in a worker thread with the standard library's smtplib; a failed send gives the
claim back so the next run tries again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from portal.notifications.tables import Notification
from portal.settings import Settings

log = logging.getLogger("portal.mail")
# Older messages are not mailed: switching e-mail on must not flood inboxes with history.
MAX_AGE = dt.timedelta(days=2)
BATCH = 100


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    ssl: bool
    username: str
    password: str


def smtp_target(url: str) -> SmtpTarget | None:
    """``smtp://user:pass@host:587`` (STARTTLS when offered) or ``smtps://…`` (TLS)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("PORTAL_SMTP_URL must look like smtp://user:pass@host:587")
    ssl = parts.scheme == "smtps"
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if ssl else 25),
        ssl=ssl,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def _send(target: SmtpTarget, message: EmailMessage) -> None:
    client = smtplib.SMTP_SSL(target.host, target.port, timeout=30) if target.ssl else smtplib.SMTP(target.host, target.port, timeout=30)
    with client:
        if not target.ssl:
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls()
                client.ehlo()
        if target.username:
            client.login(target.username, target.password)
        client.send_message(message)


def _message(settings: Settings, row: dict) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row["user.email"]
    message["Subject"] = row["subject"]
    text = row["body"] or row["subject"]
    if row["link"]:
        # Links are paths inside the portal; a mail reader needs the full address.
        base = settings.public_base()
        link = row["link"]
        text += f"\n\n{base + link if link.startswith('/') else link}"
    message.set_content(text)
    return message


async def deliver_pending_email(settings: Settings, now: dt.datetime | None = None) -> int:
    """Send every recent unsent notification to its recipient's e-mail address, once.

    Called by the scheduler's job (and by tests); does nothing without ``PORTAL_SMTP_URL``.
    Returns how many e-mails were sent by this call.
    """
    target = smtp_target(settings.smtp_url)
    if target is None:
        return 0
    now = now or dt.datetime.now(dt.timezone.utc)
    rows = await (
        Notification.select(Notification.id, Notification.subject, Notification.body, Notification.link, Notification.user.email)
        .where(Notification.emailed_at.is_null() & (Notification.created_at > now - MAX_AGE) & (Notification.user.email != "") & (Notification.user.active == True))  # noqa: E712
        .order_by(Notification.id)
        .limit(BATCH)
        .run()
    )
    sent = 0
    for row in rows:
        claimed = await Notification.update({Notification.emailed_at: now}).where((Notification.id == row["id"]) & Notification.emailed_at.is_null()).returning(Notification.id).run()
        if not claimed:
            continue  # another process took it
        try:
            await asyncio.to_thread(_send, target, _message(settings, row))
        except (OSError, smtplib.SMTPException) as error:
            log.warning("e-mail for notification %s failed: %s", row["id"], error)
            await Notification.update({Notification.emailed_at: None}).where(Notification.id == row["id"]).run()
            break  # the server is unwell: leave the rest for the next run
        sent += 1
    return sent
