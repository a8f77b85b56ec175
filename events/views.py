"""Host-facing pages: the public request form and the private per-request link.

Thin adapters: forms parse, events.intake decides and writes, events.selectors reads. Every
page works without JavaScript. A wrong, revoked or expired link raises Http404, so it answers
exactly like any page that does not exist.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from common.api_errors import RETRY_AFTER_SECONDS
from common.geocoding import UnknownZip, locate_zip
from events import intake, lifecycle, selectors, services
from events.forms import (
    AttendanceForm,
    HostContactForm,
    ProposalAnswerForm,
    RequestWindowFormSet,
    SpeakerRequestForm,
    submitted_windows,
)
from events.models import SpeakerRequest
from events.ratelimit import seconds_until_allowed

logger = logging.getLogger(__name__)

WINDOWS_PREFIX = "windows"
SESSION_REFERENCE = "intake_reference"
SESSION_EMAIL = "intake_email"


def _show_errors(
    rejected: intake.RequestRejected,
    form: Any,
    windows: list[tuple[Any, dict]],
) -> list[str]:
    """Put the service's messages beside the fields they concern, except where the form
    already explains the field (it could not even read it); return the messages that
    belong to the window list as a whole."""

    def add(target: Any, name: str, messages_: list[str]) -> None:
        field = name if name in target.fields else None
        if field is None or field not in target.errors:
            target.add_error(field, messages_)

    for name, messages_ in rejected.field_errors.items():
        if name != "windows":
            add(form, name, messages_)
    for (window_form, _values), errors in zip(windows, rejected.window_errors, strict=False):
        for name, messages_ in errors.items():
            add(window_form, name, messages_)
    return rejected.field_errors.get("windows", [])


def _rule_errors_too(form: Any, formset: Any) -> list[str]:
    """The form could not read everything; still tell the host what the intake rules say
    about the rest, so one round trip shows every problem."""
    windows = _windows_as_typed(formset)
    data = {**form.cleaned_data, "windows": [values for _form, values in windows]}
    try:
        intake.check_speaker_request(data=data)
    except intake.RequestRejected as rejected:
        return _show_errors(rejected, form, windows)
    return []


def _windows_as_typed(formset: Any) -> list[tuple[Any, dict]]:
    """Like submitted_windows, for a formset that did not validate: what each kept form
    could read."""
    kept = []
    for window_form in formset.forms:
        if window_form.cleaned_data.get("DELETE") or (
            window_form.empty_permitted and not window_form.has_changed()
        ):
            continue
        values = {k: v for k, v in window_form.cleaned_data.items() if k != "DELETE"}
        kept.append((window_form, values))
    return kept


def _with_another_window(data: QueryDict) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Initial values to re-show the form with one more blank window, without judging what
    was typed yet (the no-JavaScript "add another window" button)."""
    formset = RequestWindowFormSet(data, prefix=WINDOWS_PREFIX)
    rows = []
    for index in range(formset.total_form_count()):
        prefix = f"{WINDOWS_PREFIX}-{index}-"
        if data.get(prefix + "DELETE"):
            continue
        rows.append(
            {
                name: data.get(prefix + name, "")
                for name in ("start_date", "end_date", "earliest_start", "latest_end", "preference")
            }
        )
    rows.append({"preference": "preferred"})
    return data.dict(), rows


def _too_many_attempts(request: HttpRequest, wait_seconds: int) -> HttpResponse:
    """429 with the form as the host filled it in, so nothing they typed is lost."""
    initial, rows = _with_another_window(request.POST)
    formset = RequestWindowFormSet(prefix=WINDOWS_PREFIX, initial=rows[:-1] or rows)
    formset.extra = 0
    response = render(
        request,
        "events/request_form.html",
        {
            "form": SpeakerRequestForm(initial=initial),
            "formset": formset,
            "window_errors": [],
            "wait_minutes": max(1, round(wait_seconds / 60)),
            "tz_label": _("the venue's local time (from its ZIP code)"),
        },
        status=429,
    )
    response["Retry-After"] = str(wait_seconds)
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_speaker(request: HttpRequest) -> HttpResponse:
    """The public request form."""
    window_errors: list[str] = []
    unavailable = False
    if request.method in ("GET", "HEAD"):
        form = SpeakerRequestForm()
        formset = RequestWindowFormSet(prefix=WINDOWS_PREFIX)
    elif "add_window" in request.POST:
        initial, rows = _with_another_window(request.POST)
        form = SpeakerRequestForm(initial=initial)
        formset = RequestWindowFormSet(prefix=WINDOWS_PREFIX, initial=rows)
        formset.extra = 0
    else:
        if (wait := seconds_until_allowed(request)) is not None:
            return _too_many_attempts(request, wait)
        form = SpeakerRequestForm(request.POST)
        formset = RequestWindowFormSet(request.POST, prefix=WINDOWS_PREFIX)
        readable = [form.is_valid(), formset.is_valid()]  # both, for every parse error
        if all(readable):
            windows = submitted_windows(formset)
            data = {**form.cleaned_data, "windows": [values for _form, values in windows]}
            try:
                submission = intake.submit_speaker_request(
                    data=data, source=SpeakerRequest.Source.WEB
                )
            except intake.RequestRejected as rejected:
                window_errors = _show_errors(rejected, form, windows)
            except (OperationalError, InterfaceError):
                # The database is briefly out of reach (a restart, a failover) and the request
                # was rolled back whole. The host keeps every answer and only sends again.
                logger.warning("Database unavailable; request form shown again", exc_info=True)
                unavailable = True
            else:
                request.session[SESSION_REFERENCE] = submission.speaker_request.reference
                request.session[SESSION_EMAIL] = submission.speaker_request.contact_email
                return redirect("events:request-received")
        else:
            window_errors = _rule_errors_too(form, formset)
    response = render(
        request,
        "events/request_form.html",
        {
            "form": form,
            "formset": formset,
            "window_errors": window_errors,
            "unavailable": unavailable,
            "tz_label": _venue_timezone(form) or _("the venue's local time (from its ZIP code)"),
        },
        status=503 if unavailable else 200,
    )
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _venue_timezone(form: SpeakerRequestForm) -> str:
    """The zone the times will be read in, when the typed ZIP already tells us."""
    data = form.data if form.is_bound else form.initial
    if data.get("format") == SpeakerRequest.Format.VIRTUAL:
        return data.get("timezone") or ""
    zip_code, state = data.get("zip_code"), data.get("state")
    if not zip_code or not state:
        return ""
    try:
        return locate_zip(zip_code, state).timezone
    except UnknownZip:
        return ""


@require_safe
def request_received(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(SESSION_REFERENCE)
    if not reference:
        return redirect("events:request-speaker")
    return render(
        request,
        "events/request_received.html",
        {"reference": reference, "email": request.session.get(SESSION_EMAIL, "")},
    )


def _host_request_or_404(token: str) -> SpeakerRequest:
    speaker_request = selectors.request_for_host_token(token=token)
    if speaker_request is None:
        raise Http404
    return speaker_request


def _host_response(response: HttpResponse) -> HttpResponse:
    # The URL itself is the secret: keep it out of search engines and other sites' logs.
    # "same-origin" keeps it out of every cross-origin Referer; "no-referrer" would also make
    # the browser post our own forms with "Origin: null", which CSRF protection refuses.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def _windows_initial(speaker_request: SpeakerRequest) -> list[dict[str, Any]]:
    return [
        {
            "start_date": w.start_date,
            "end_date": w.end_date,
            "earliest_start": w.earliest_start,
            "latest_end": w.latest_end,
            "preference": w.preference,
        }
        for w in speaker_request.windows.all()
    ]


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def host_request(request: HttpRequest, token: str) -> HttpResponse:
    """The host's private page: status, date, fellow's display name; edits while open."""
    speaker_request = _host_request_or_404(token)
    editable = speaker_request.status in lifecycle.HOST_EDITABLE
    contact_editable = speaker_request.status in lifecycle.HOST_CONTACT_EDITABLE
    window_errors: list[str] = []
    contact_form = HostContactForm(
        initial={name: getattr(speaker_request, name) for name in intake.CONTACT_FIELDS}
    )
    formset = RequestWindowFormSet(prefix=WINDOWS_PREFIX, initial=_windows_initial(speaker_request))
    formset.extra = 0
    if request.method == "POST" and contact_editable:
        if "add_window" in request.POST and editable:
            initial, rows = _with_another_window(request.POST)
            contact_form = HostContactForm(initial=initial)
            formset = RequestWindowFormSet(prefix=WINDOWS_PREFIX, initial=rows)
            formset.extra = 0
        else:
            contact_form = HostContactForm(request.POST)
            if editable:
                formset = RequestWindowFormSet(request.POST, prefix=WINDOWS_PREFIX)
            if contact_form.is_valid() and (not editable or formset.is_valid()):
                windows = submitted_windows(formset) if editable else []
                data = {**contact_form.cleaned_data, "windows": [v for _f, v in windows]}
                try:
                    intake.update_request_by_host(speaker_request=speaker_request, data=data)
                except intake.RequestRejected as rejected:
                    window_errors = _show_errors(rejected, contact_form, windows)
                else:
                    messages.success(request, _("Your changes are saved."))
                    return redirect("events:host-request", token=token)
    attendance_form = (
        AttendanceForm()
        if selectors.attendance_due(speaker_request=speaker_request)
        and speaker_request.attendance_count is None
        else None
    )
    return _host_page(
        request,
        token,
        speaker_request,
        editable=editable,
        contact_editable=contact_editable,
        contact_form=contact_form,
        formset=formset,
        window_errors=window_errors,
        tz_label=speaker_request.timezone,
        attendance_form=attendance_form,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def host_withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """Withdrawing asks once more: GET shows the question, POST does it."""
    speaker_request = _host_request_or_404(token)
    if speaker_request.status not in intake.HOST_EDITABLE_STATUSES:
        return redirect("events:host-request", token=token)
    if request.method == "POST":
        intake.withdraw_request(speaker_request=speaker_request)
        messages.success(request, _("Your request is withdrawn. Thank you for letting us know."))
        return redirect("events:host-request", token=token)
    return _host_response(
        render(
            request,
            "events/host_withdraw.html",
            {"token": token, "speaker_request": speaker_request},
        )
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def host_attendance(request: HttpRequest, token: str) -> HttpResponse:
    speaker_request = _host_request_or_404(token)
    if request.method in ("GET", "HEAD"):  # a bookmarked or reloaded form address: show the page
        return redirect("events:host-request", token=token)
    form = AttendanceForm(request.POST)
    if form.is_valid():
        try:
            intake.record_attendance(
                speaker_request=speaker_request,
                attendance_count=form.cleaned_data["attendance_count"],
                first_time_count=form.cleaned_data["first_time_count"],
                comments=form.cleaned_data["attendance_comments"],
            )
        except intake.RequestRejected as rejected:
            _show_errors(rejected, form, [])
        else:
            messages.success(request, _("Thank you for telling us how it went."))
            return redirect("events:host-request", token=token)
    return _host_page(request, token, speaker_request, editable=False, attendance_form=form)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def host_answer_proposal(request: HttpRequest, token: str) -> HttpResponse:
    """The host says whether the proposed time works ("yes"), or not ("no", with a comment)."""
    speaker_request = _host_request_or_404(token)
    if request.method in ("GET", "HEAD"):  # a bookmarked or reloaded form address: show the page
        return redirect("events:host-request", token=token)
    form = ProposalAnswerForm(request.POST)
    if form.is_valid():
        try:
            services.answer_proposal(
                speaker_request=speaker_request,
                works=form.cleaned_data["answer"] == "yes",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            if "answer" in exc.message_dict:  # nothing (any longer) proposed
                messages.error(request, " ".join(exc.message_dict["answer"]))
                return redirect("events:host-request", token=token)
            form.add_error("comment", exc.message_dict.get("comment", []))
        else:
            if form.cleaned_data["answer"] == "yes":
                messages.success(request, _("Thank you! We will confirm the visit by email."))
            else:
                messages.success(
                    request, _("Thank you for telling us. We will look for another time.")
                )
            return redirect("events:host-request", token=token)
    return _host_page(request, token, speaker_request, editable=False, proposal_form=form)


def _host_page(request: HttpRequest, token: str, speaker_request, **extra) -> HttpResponse:
    """The host's request page: status, the event as the host may see it, and any forms."""
    event = selectors.host_event(speaker_request=speaker_request)
    context = {
        "token": token,
        "speaker_request": speaker_request,
        "event": event,
        "proposal_form": ProposalAnswerForm(),
        "fellow_names": selectors.host_visible_fellow_names(event=event),
        **extra,
    }
    return _host_response(render(request, "events/host_request.html", context))
