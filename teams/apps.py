from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams"

    def ready(self):
        from teams import signals  # noqa: F401 -- connects the creator-is-admin receiver
