"""Writes to the outbox: every message becomes a Notification row in the caller's transaction.

The unique dedupe key makes queuing the same message twice a no-op. Delivery is scheduled only
after the transaction commits, so a rolled-back change never sends mail; if the broker is down
at that moment the row stays pending and the sweeper (notifications.delivery) sends it later.

Host-facing messages are in English and name fellows by display name only. Fellow-facing
messages are rendered in the fellow's preferred language.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.backoff import RestAfterFailure
from fellows.models import Fellow
from notifications import invites, sealed_links, selectors
from notifications.models import Notification
from notifications.protocols import HostedEvent, HostRequest

logger = logging.getLogger(__name__)


# After a failed publish this process leaves publishing to the sweeper for a few seconds, so
# an outage costs one page one socket timeout, not every page (and not every thread waiting
# its turn for a connection from the producer pool).
broker_health = RestAfterFailure(lambda: settings.CELERY_BROKER_RETRY_SECONDS)


def dispatch(notification_id: int, *, eta: dt.datetime | None = None) -> bool:
    """Hand the row's delivery task to the broker now (or for `eta`); False if it failed.

    Publishing is bounded by the broker's socket timeout (CELERY_BROKER_SOCKET_TIMEOUT) and is
    not retried: when the broker is down or hung the row stays pending for the sweeper, and
    the caller (a host submitting a request, staff confirming) gets its answer at once. After
    a failure the process leaves publishing to the sweeper for a few seconds (broker_health).
    """
    from notifications.tasks import deliver_notification

    if broker_health.resting():
        return False
    try:
        deliver_notification.apply_async((notification_id,), eta=eta, retry=False)
    except Exception:  # broker down or hung: the row stays due and the sweeper sends it later
        broker_health.failed()
        logger.warning("Broker unavailable; notification %s left for the sweeper", notification_id)
        return False
    broker_health.succeeded()
    Notification.objects.filter(pk=notification_id).update(dispatched_at=eta or timezone.now())
    return True


def dispatch_after_commit(notification_id: int) -> None:
    """Queue delivery once the surrounding transaction commits; the sweeper covers failures."""
    transaction.on_commit(lambda: dispatch(notification_id))


def new_message_id() -> str:
    """A Message-ID in the sender's domain, fixed before the first attempt.

    Every attempt sends the same id, so if a reclaimed row is sent a second time (its worker
    died after the SMTP server accepted it but before the row was marked sent), mail clients
    treat the copies as one message.
    """
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "fellow-tours"
    return make_msgid(domain=domain)


def render_plain(template_name: str, context: dict) -> str:
    """Render a subject or text/plain template as written: no HTML escaping.

    HTML escaping belongs to the HTML part; in plain text `St. Mark's & Barnes` would arrive
    as `St. Mark&#x27;s &amp; Barnes`. Included templates inherit the unescaped context.
    """
    template = Engine.get_default().get_template(template_name)  # takes a Context as given
    return template.render(Context(context, autoescape=False))


def enqueue(
    *,
    kind: str,
    dedupe_key: str,
    recipient_email: str,
    template: str,
    context: dict,
    recipient_name: str = "",
    language: str = "en",
    ics: str | Callable[[], str] = "",
    ics_method: str = "",
    new_key: bool = False,
    **links,
) -> Notification:
    """Render a message from `notifications/<template>_{subject,body}.txt|.html` and store it.

    `ics` may be a function, so that a message already queued costs one lookup, not a render.
    `new_key=True` is for a key no row can have yet because it names a row the caller created
    in this same transaction: the lookup and the savepoint are then skipped (they are most of
    the cost of a public submission), and a collision would fail the caller's transaction.
    """
    if not new_key:
        existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    if callable(ics):
        ics = ics()
    with translation.override(language):
        subject = " ".join(render_plain(f"notifications/{template}_subject.txt", context).split())
        body_text = render_plain(f"notifications/{template}_body.txt", context)
        body_html = render_to_string(f"notifications/{template}_body.html", context)
    notification = Notification(
        kind=kind,
        dedupe_key=dedupe_key,
        recipient_email=recipient_email,
        recipient_name=recipient_name,
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        ics=ics,
        ics_method=ics_method,
        message_id=new_message_id(),
        **links,
    )
    if new_key:
        notification.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                notification.save(force_insert=True)
        except IntegrityError:  # a concurrent transaction queued the same message first
            return Notification.objects.get(dedupe_key=dedupe_key)
    dispatch_after_commit(notification.pk)
    return notification


def queue_request_acknowledgement(
    *, speaker_request: HostRequest, host_url: str, new_request: bool = False
) -> Notification:
    """Tell the host we received the request, with their private link.

    The row stores the link sealed, never in clear (notifications.sealed_links).
    `new_request=True` when the request was inserted in the caller's open transaction, so no
    acknowledgement can exist for it yet (see enqueue's `new_key`).
    """
    return enqueue(
        kind=Notification.Kind.ACKNOWLEDGEMENT,
        dedupe_key=f"ack:{speaker_request.pk}",
        recipient_email=speaker_request.contact_email,
        recipient_name=speaker_request.contact_name,
        template="acknowledgement",
        context={"speaker_request": speaker_request, "host_url": sealed_links.LINK_PLACEHOLDER},
        new_key=new_request,
        speaker_request=speaker_request,
        sealed_link=sealed_links.seal(host_url),
    )


def queue_new_host_link(
    *, speaker_request: HostRequest, host_url: str, link_hash: str
) -> Notification:
    """Send the host the private link staff reissued (the old one no longer opens anything).

    One message per link: `link_hash` (the new token's hash) keeps the dedupe key unique.
    """
    return enqueue(
        kind=Notification.Kind.HOST_LINK,
        dedupe_key=f"host_link:{speaker_request.pk}:{link_hash[:24]}",
        recipient_email=speaker_request.contact_email,
        recipient_name=speaker_request.contact_name,
        template="host_link",
        context={"speaker_request": speaker_request, "host_url": sealed_links.LINK_PLACEHOLDER},
        new_key=True,
        speaker_request=speaker_request,
        sealed_link=sealed_links.seal(host_url),
    )


def queue_request_decline(*, speaker_request: HostRequest) -> Notification:
    """Tell the host, kindly, that we cannot send a speaker this time.

    One notice per decline: a request reopened and declined again gets a second one, with the
    new reason, while queuing the same decline twice still sends one.
    """
    declined_at = speaker_request.status_changed_at
    decline = f":{declined_at.timestamp():.6f}" if declined_at else ""
    return enqueue(
        kind=Notification.Kind.DECLINE,
        dedupe_key=f"decline:{speaker_request.pk}{decline}",
        recipient_email=speaker_request.contact_email,
        recipient_name=speaker_request.contact_name,
        template="decline",
        context={"speaker_request": speaker_request},
        speaker_request=speaker_request,
    )


def subject_stem(event: HostedEvent) -> str:
    """The part of the subject every message about one event shares, after its "Confirmed: ",
    "Updated: " or "Reminder: ", so mail clients thread them. Nothing in it changes when the
    event moves; the request's reference tells two visits to one host apart."""
    with translation.override("en"):
        if event.request is None:  # staff's own event: no host, no reference
            return _("LiNK speaker visit to %(title)s") % {"title": event.title}
        return _("LiNK speaker visit to %(title)s (%(reference)s)") % {
            "title": event.title,
            "reference": event.request.reference,
        }


def _queue_host_invite(
    *,
    event: HostedEvent,
    kind: str,
    method: str,
    template: str,
    email: str = "",
    name: str = "",
    changes: Sequence[str] = (),
) -> Notification | None:
    """One iMIP message to the event's host contact (or to `email`, a contact being replaced);
    events without a request have none."""
    speaker_request = event.request
    if speaker_request is None:
        return None
    email = email or speaker_request.contact_email
    name = name or speaker_request.contact_name
    if not email:
        return None
    # UID + SEQUENCE identify the calendar state (the dedupe key): it reaches a host once.
    names = invites.public_fellow_names(event)
    return enqueue(
        kind=kind,
        dedupe_key=f"invite:{event.ical_uid}:{event.sequence}:{email.lower()}:{kind}",
        recipient_email=email,
        recipient_name=name,
        template=template,
        context={
            "event": event,
            "speaker_request": speaker_request,
            "contact_name": name,
            "fellow_names": names,
            "subject_stem": subject_stem(event),
            "changes": list(changes),
        },
        ics=lambda: invites.render_invite(
            event=event,
            method=method,
            attendee_email=email,
            attendee_name=name,
            fellow_names=names,
        ),
        ics_method=method,
        event=event,
        speaker_request=speaker_request,
    )


def queue_event_confirmation(*, event: HostedEvent) -> Notification | None:
    """The host's confirmation with a calendar invite (METHOD:REQUEST)."""
    return _queue_host_invite(
        event=event,
        kind=Notification.Kind.CONFIRMATION,
        method=invites.REQUEST,
        template="invite_confirmation",
    )


def queue_event_update(*, event: HostedEvent, changes: Sequence[str] = ()) -> Notification | None:
    """A changed time, place or team for an event the host already has: same UID, higher
    SEQUENCE. `changes` are lines such as "Time: <old> → <new>" (events.services)."""
    if not selectors.host_invites_sent(event=event):
        return None
    return _queue_host_invite(
        event=event,
        kind=Notification.Kind.UPDATE,
        method=invites.REQUEST,
        template="invite_update",
        changes=changes,
    )


def queue_event_cancellation(*, event: HostedEvent, was_confirmed: bool) -> Notification | None:
    """METHOD:CANCEL for a host who was told about the event (confirmed, or sent an invite)."""
    if not was_confirmed and not selectors.host_invites_sent(event=event):
        return None
    return _queue_host_invite(
        event=event,
        kind=Notification.Kind.CANCELLATION,
        method=invites.CANCEL,
        template="invite_cancellation",
    )


def queue_proposal(
    *,
    event: HostedEvent,
    host_url: str | None,
    reminder: bool = False,
    new_contact: bool = False,
    replaces: str = "",
) -> Notification | None:
    """Ask the host whether a proposed time works ("Proposed: <when>, <place>"), with their link.

    One per proposed time (UID + SEQUENCE): moving the tentative event proposes again. With
    `reminder`, the nudge sent when the host has not answered
    (events.services.remind_unanswered_proposals). With `new_contact`, the same question again
    for a contact who replaced the one first asked (events.services.queue_host_contact_change):
    one per proposed time and address. ``replaces``: the earlier proposed time, in words, when
    this one moves it (the message says so instead of "Good news").
    """
    speaker_request = event.request
    if speaker_request is None or not speaker_request.contact_email:
        return None
    prefix = "proposal_reminder" if reminder else "proposal"
    dedupe_key = f"{prefix}:{event.ical_uid}:{event.sequence}"
    if new_contact:
        dedupe_key += f":to:{speaker_request.contact_email.strip().lower()}"
    return enqueue(
        kind=Notification.Kind.PROPOSAL_REMINDER if reminder else Notification.Kind.PROPOSAL,
        dedupe_key=dedupe_key,
        recipient_email=speaker_request.contact_email,
        recipient_name=speaker_request.contact_name,
        template="proposal",
        context={
            "event": event,
            "speaker_request": speaker_request,
            # Sealed until sending, like every private link (notifications.sealed_links).
            "host_url": sealed_links.LINK_PLACEHOLDER if host_url else None,
            "reminder": reminder,
            "replaces": replaces,
        },
        event=event,
        speaker_request=speaker_request,
        sealed_link=sealed_links.seal(host_url) if host_url else "",
    )


def queue_contact_replaced(
    *, event: HostedEvent, email: str, name: str = ""
) -> Notification | None:
    """METHOD:CANCEL to a host contact who was replaced, so the visit leaves their calendar
    (events.services.queue_host_contact_change moves the invite to the new contact)."""
    return _queue_host_invite(
        event=event,
        kind=Notification.Kind.CANCELLATION,
        method=invites.CANCEL,
        template="invite_contact_replaced",
        email=email,
        name=name,
    )


def queue_proposal_withdrawn(*, event: HostedEvent) -> Notification | None:
    """Tell a host who was proposed a time that it is off (the tentative event was cancelled).

    Only when a proposal was sent for the event; nothing was in their calendar, so no CANCEL.
    """
    speaker_request = event.request
    if speaker_request is None or not speaker_request.contact_email:
        return None
    if not event.notifications.filter(kind=Notification.Kind.PROPOSAL).exists():
        return None
    return enqueue(
        kind=Notification.Kind.PROPOSAL_WITHDRAWN,
        dedupe_key=f"proposal_withdrawn:{event.ical_uid}:{event.sequence}",
        recipient_email=speaker_request.contact_email,
        recipient_name=speaker_request.contact_name,
        template="proposal_withdrawn",
        context={"event": event, "speaker_request": speaker_request},
        event=event,
        speaker_request=speaker_request,
    )


def queue_host_reminder(*, event: HostedEvent) -> Notification | None:
    """Logistics reminder a few days before; a moved event gets a reminder for its new date."""
    speaker_request = event.request
    if speaker_request is None or not speaker_request.contact_email:
        return None
    email = speaker_request.contact_email
    return enqueue(
        kind=Notification.Kind.HOST_REMINDER,
        dedupe_key=f"host_reminder:{event.ical_uid}:{event.starts_at:%Y%m%dT%H%M}:{email.lower()}",
        recipient_email=email,
        recipient_name=speaker_request.contact_name,
        template="host_reminder",
        context={
            "event": event,
            "speaker_request": speaker_request,
            "fellow_names": invites.public_fellow_names(event),
            "subject_stem": subject_stem(event),
        },
        event=event,
        speaker_request=speaker_request,
    )


def queue_fellow_day_sheet(
    *, fellow: Fellow, day: dt.date, events: Sequence[HostedEvent]
) -> Notification | None:
    """Tomorrow's events for one fellow, in the fellow's language."""
    if not fellow.email or not events:
        return None
    return enqueue(
        kind=Notification.Kind.FELLOW_DAY_SHEET,
        dedupe_key=f"day_sheet:{fellow.pk}:{day:%Y-%m-%d}",
        recipient_email=fellow.email,
        recipient_name=fellow.display_name,
        language=fellow.preferred_language,
        template="day_sheet",
        context={"fellow": fellow, "day": day, "events": list(events)},
        fellow=fellow,
    )


def queue_attendance_request(*, event: HostedEvent) -> Notification | None:
    """After the event, ask the host how many people came."""
    speaker_request = event.request
    if speaker_request is None or not speaker_request.contact_email:
        return None
    email = speaker_request.contact_email
    return enqueue(
        kind=Notification.Kind.ATTENDANCE_REQUEST,
        dedupe_key=f"attendance:{event.ical_uid}:{email.lower()}",
        recipient_email=email,
        recipient_name=speaker_request.contact_name,
        template="attendance_request",
        context={
            "event": event,
            "speaker_request": speaker_request,
            "subject_stem": subject_stem(event),
        },
        event=event,
        speaker_request=speaker_request,
    )


@transaction.atomic
def retry_notification(*, notification: Notification) -> Notification:
    """Staff send a dead (or still failing) message again, with a fresh set of attempts.

    Raises ValidationError({"status": …}) for a message that is not failed or dead.
    """
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.status not in (Notification.Status.DEAD, Notification.Status.FAILED):
        raise ValidationError({"status": _("Only a failed or dead message can be retried.")})
    notification.status = Notification.Status.PENDING
    notification.attempts = 0
    notification.next_attempt_at = None
    notification.dispatched_at = None
    notification.save(
        update_fields=["status", "attempts", "next_attempt_at", "dispatched_at", "updated_at"]
    )
    dispatch_after_commit(notification.pk)
    return notification
