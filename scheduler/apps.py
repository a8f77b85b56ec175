"""Project-level app: loads the Celery application so that @shared_task binds to it."""

from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "scheduler"
    verbose_name = "Fellow Tour Scheduler"

    def ready(self) -> None:
        from common import rate_limits  # noqa: F401  (system checks)
        from scheduler import celery  # noqa: F401  (task binding)
