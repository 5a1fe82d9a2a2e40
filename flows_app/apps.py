from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowsAppConfig(AppConfig):
    name = "flows_app"
    verbose_name = _("Flows dashboard")

    def ready(self):
        from flows_app import ids, signals  # noqa: F401 -- signals: connects the creator-is-admin receiver
        from flows_app.after_response import connect_signals

        connect_signals()
        # Before any URLconf is read: every app's patterns use <id:...>.
        ids.register()
