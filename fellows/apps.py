from django.apps import AppConfig


class FellowsConfig(AppConfig):
    name = "fellows"
    verbose_name = "Fellows and tours"
