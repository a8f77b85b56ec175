"""Installed so Django finds the shared template filters (common/templatetags)."""

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Shared helpers"
