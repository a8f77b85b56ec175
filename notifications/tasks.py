"""Celery tasks: thin adapters that take ids and call notifications.delivery and services.

Each worker process keeps its mail connection open between tasks (notifications.delivery) and
closes it when the process stops.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_shutdown, worker_shutdown

from notifications import delivery, services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def deliver_notification(notification_id: int) -> str:
    result = delivery.deliver(notification_id)
    if result.outcome is delivery.Outcome.RETRY:
        # Broker gone: the row keeps its due time and the sweeper sends it.
        services.dispatch(notification_id, eta=result.retry_at)
    return result.outcome.value


@shared_task(ignore_result=True)
def sweep_outbox() -> int:
    """Beat: reclaim rows whose worker died mid-send and re-dispatch everything due."""
    delivery.reclaim_stuck()
    ids = delivery.due_ids()
    for notification_id in ids:
        services.dispatch(notification_id)
    return len(ids)


@worker_process_shutdown.connect
@worker_shutdown.connect
def close_mail_connection(**kwargs) -> None:
    delivery.close_connection()
