from django.contrib import admin

from activity.models import Activity


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """Read-only: the history is append-only; `manage.py prune_activity` removes old entries."""

    list_display = ["created", "username", "kind", "connection_label", "flow_id", "flow_name"]
    list_filter = ["kind"]
    search_fields = ["username", "connection_label", "flow_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
