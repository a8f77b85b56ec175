"""Reading sent mail the way a calendar client would: MIME parts and two iCalendar parsers."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import icalendar
import vobject


def parse(raw: bytes | EmailMessage) -> EmailMessage:
    if isinstance(raw, EmailMessage):
        return raw
    return email.message_from_bytes(raw, policy=email.policy.default)


def calendar_part(message: EmailMessage) -> EmailMessage:
    """The inline text/calendar alternative (what Outlook and Gmail act on)."""
    parts = [
        p
        for p in message.walk()
        if p.get_content_type() == "text/calendar" and p.get_content_disposition() is None
    ]
    assert len(parts) == 1, [p.get_content_type() for p in message.walk()]
    return parts[0]


def ics_attachment(message: EmailMessage) -> bytes:
    parts = [p for p in message.walk() if p.get_filename() == "invite.ics"]
    assert len(parts) == 1
    return (
        parts[0].get_content()
        if parts[0].get_content_maintype() == "text"
        else (parts[0].get_payload(decode=True))
    )


def all_text(message: EmailMessage) -> str:
    """Every header and decoded body part, for privacy checks."""
    chunks = [f"{k}: {v}" for k, v in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        chunks.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
    return "\n".join(chunks)


def read_with_icalendar(data: bytes | str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def read_with_vobject(data: bytes | str):
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return vobject.readOne(text)
