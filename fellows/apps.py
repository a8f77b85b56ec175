from django.apps import AppConfig


class FellowsConfig(AppConfig):
    name = "fellows"
    verbose_name = "Fellows and tours"

    def ready(self) -> None:
        # Writes anywhere in the project give the affected feeds new ETags.
        from fellows.feed_versions import connect_signals

        connect_signals()
