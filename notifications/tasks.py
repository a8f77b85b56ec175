"""Celery tasks: thin adapters that take ids and call notifications.delivery."""

from __future__ import annotations

from celery import shared_task

from notifications import delivery


@shared_task(ignore_result=True)
def deliver_notification(notification_id: int) -> None:
    delivery.deliver(notification_id)
