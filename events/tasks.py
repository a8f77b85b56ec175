"""Celery tasks of the events app: thin adapters over events.planning."""

from __future__ import annotations

from celery import shared_task

from events import planning


@shared_task(ignore_result=True)
def run_planning(run_id: int) -> None:
    planning.run_proposal(run_id)
