from django.apps import AppConfig


class SendsConfig(AppConfig):
    name = "sends"
    verbose_name = "Test sends"
