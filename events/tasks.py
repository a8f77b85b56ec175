"""Celery tasks of the events app: thin adapters over its planning, retention and services."""

from __future__ import annotations

from celery import shared_task

from events import proposals, retention, services


@shared_task(ignore_result=True)
def run_planning(run_id: int) -> None:
    proposals.run_proposal(run_id)


@shared_task(ignore_result=True)
def anonymise_host_data() -> int:
    """Beat, daily: remove host contact data past HOST_DATA_RETENTION_DAYS."""
    return retention.anonymise_due_requests().requests


@shared_task(ignore_result=True)
def remind_unanswered_proposals() -> int:
    """Beat: remind hosts who have not answered a proposed time."""
    return services.remind_unanswered_proposals()


# Registered under its first name, which beat's schedule (PeriodicTask rows) and messages
# already queued refer to.
@shared_task(name="notifications.tasks.queue_reminders", ignore_result=True)
def queue_reminders() -> int:
    """Beat: host reminders, fellows' day sheets and attendance requests that are due."""
    return services.queue_due_reminders()
