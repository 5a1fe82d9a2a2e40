from django.apps import AppConfig


class FlowsAppConfig(AppConfig):
    name = "flows_app"
    verbose_name = "Flows dashboard"

    def ready(self):
        from flows_app.after_response import connect_signals

        connect_signals()
