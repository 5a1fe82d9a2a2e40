from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from flows_app.models import Connection, Membership, Preferences


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["label", "owner", "server_name", "key", "is_default", "updated"]
    list_filter = ["is_default"]
    search_fields = ["label", "owner__username"]
    # The encrypted key and its last 4 are not editable fields, so the admin never shows them in full.
    readonly_fields = ["key", "created", "updated"]

    @admin.display(description=_("server"), ordering="server")
    def server_name(self, connection):
        return connection.server_label

    @admin.display(description=_("API key"))
    def key(self, connection):
        return connection.masked_key


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "results_per_page", "theme"]
    search_fields = ["user__username"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "connection", "role", "websites", "created"]
    list_filter = ["role"]
    search_fields = ["user__username", "connection__label"]
    raw_id_fields = ["user", "connection"]
