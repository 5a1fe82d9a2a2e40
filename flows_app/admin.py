from django.contrib import admin

from flows_app.models import Connection, Preferences


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["label", "owner", "server", "masked_key", "is_default", "updated"]
    list_filter = ["server", "is_default"]
    search_fields = ["label", "owner__username"]
    # The encrypted key and its last 4 are not editable fields, so the admin never shows them in full.
    readonly_fields = ["masked_key", "created", "updated"]


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "results_per_page", "theme"]
    search_fields = ["user__username"]
