"""E-mail to the person who raised an item, when they left an address: the feedback
(the answer) and the reminder to say whether they are satisfied, in the language they
used, each with the item's signed answer link (``/satisfaction/<token>``): a page where
they say satisfied or not without typing the tracking code.

The link's token is the item's id and an HMAC of it with the app's secret
(``PORTAL_SECRET_KEY``): unguessable, checked without a lookup table, and made when the
message is sent (the job holds the settings; the rules that queue the message do not).

``queue()`` writes the message into ``ledger_mail`` inside the change's own write
transaction (so a refused change sends nothing); ``deliver_pending()`` is the job that
sends each message once through ``PORTAL_SMTP_URL``, claiming it with a conditional
UPDATE like the notification e-mails. A message carries only its own item's number,
answer and tracking link; once sent (or too old to send) its address and text are gone.
The same job sends the officers' answers to public messages that are not ledger items
(``item`` empty, kind ``intake_answer``, queued by ``portal.public.rules.answer``).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import logging
import re
import smtplib
from email.message import EmailMessage

from portal.ledger.tables import LedgerEvent, LedgerMail
from portal.notifications.mail import _send, smtp_target
from portal.settings import Settings
from portal.web import i18n
from portal.web.i18n import N_

log = logging.getLogger("portal.ledger.mail")
BATCH = 100
# Older messages are not sent: turning e-mail on must not mail a backlog.
MAX_AGE = dt.timedelta(days=7)

TEXTS = {
    "feedback": (
        N_("Answer to your matter %(number)s"),
        N_("We have dealt with your matter %(number)s. Our answer:\n\n%(answer)s\n\nAre you satisfied? Please tell us on the page of this link (the tracking page with the tracking code %(code)s shows the matter too):"),
    ),
    "reminder": (
        N_("Are you satisfied with the answer to %(number)s?"),
        N_("We answered your matter %(number)s and have not heard from you. Are you satisfied? Please tell us on the page of this link (the tracking page with the tracking code %(code)s shows the matter too):"),
    ),
}
# The messages whose link is the item's signed answer page.
ANSWER_KINDS = ("feedback", "reminder")
_TOKEN = re.compile(r"^([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{22})$")


def _signature(secret: str, item_id: int) -> str:
    digest = hmac.new(secret.encode(), f"ledger-answer:{item_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")  # 128 bits


def answer_token(secret: str, item_id: int) -> str:
    """The token of an item's answer page: ``<id>.<signature>``."""
    return f"{item_id}.{_signature(secret, item_id)}"


def item_of_token(secret: str, token: str) -> int | None:
    """The item a token was made for, or None when it is malformed or not signed by us."""
    found = _TOKEN.match(token or "")
    if not found:
        return None
    item_id = int(found.group(1))
    return item_id if hmac.compare_digest(found.group(2), _signature(secret, item_id)) else None


async def queue(item: dict, kind: str, at: dt.datetime, key: str) -> bool:
    """Write the ``kind`` message for ``item`` (a row with number, tracking_code,
    language, raised_by_email, anonymous, feedback_text) if the person left an address.
    ``key`` makes it once per feedback round."""
    address = (item.get("raised_by_email") or "").strip()
    if not address or item.get("anonymous"):
        return False
    subject, body = TEXTS[kind]
    token = i18n.activate(item.get("language") or "zh_CN")
    try:
        params = {"number": item["number"], "code": item["tracking_code"], "answer": item.get("feedback_text") or ""}
        text_subject = i18n.gettext(subject, **params)[:200]
        text_body = i18n.gettext(body, **params)
    finally:
        i18n.restore(token)
    created = await LedgerMail.insert(
        LedgerMail(item=item["id"], kind=kind, recipient=address, subject=text_subject, body=text_body, link=f"/track/{item['tracking_code']}", dedupe_key=key[:80], created_at=at)
    ).on_conflict(target=LedgerMail.dedupe_key, action="DO NOTHING").returning(LedgerMail.id).run()
    return bool(created)


def _message(settings: Settings, row: dict) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    link = f"/satisfaction/{answer_token(settings.secret_key, row['item'])}" if row["kind"] in ANSWER_KINDS else row["link"]
    message.set_content(f"{row['body']}\n\n{settings.public_base()}{link}\n")
    return message


async def deliver_pending(settings: Settings, now: dt.datetime | None = None) -> int:
    """Send every recent unsent message once; nothing without ``PORTAL_SMTP_URL``.
    A failed send gives the claim back for the next run."""
    target = smtp_target(settings.smtp_url)
    if target is None:
        return 0
    now = now or dt.datetime.now(dt.timezone.utc)
    # Messages too old to send are never sent: drop them with the address they hold.
    await LedgerMail.delete().where(LedgerMail.sent_at.is_null() & (LedgerMail.created_at <= now - MAX_AGE)).run()
    rows = await LedgerMail.select(LedgerMail.id, LedgerMail.item, LedgerMail.kind, LedgerMail.recipient, LedgerMail.subject, LedgerMail.body, LedgerMail.link).where(
        LedgerMail.sent_at.is_null() & (LedgerMail.created_at > now - MAX_AGE)
    ).order_by(LedgerMail.id).limit(BATCH).run()
    sent = 0
    for row in rows:
        claimed = await LedgerMail.update({LedgerMail.sent_at: now}).where((LedgerMail.id == row["id"]) & LedgerMail.sent_at.is_null()).returning(LedgerMail.id).run()
        if not claimed:
            continue  # another process took it
        try:
            await asyncio.to_thread(_send, target, _message(settings, row))
        except (OSError, smtplib.SMTPException) as error:
            log.warning("e-mail of ledger message %s failed: %s", row["id"], error)
            await LedgerMail.update({LedgerMail.sent_at: None}).where(LedgerMail.id == row["id"]).run()
            break
        # Sent: the address and the text are not kept (personal data), only that it went.
        await LedgerMail.update({LedgerMail.recipient: "", LedgerMail.body: ""}).where(LedgerMail.id == row["id"]).run()
        # The officers' timeline says the person was mailed (the address stays off it).
        # An answer to a public message that is no ledger item (a help request answered
        # in the intake list, portal.public.rules.answer) has no timeline.
        if row["item"] is not None:
            await LedgerEvent.insert(LedgerEvent(item=row["item"], kind=f"mailed_{row['kind']}", public=False, created_at=now)).run()
        sent += 1
    return sent
