from django.contrib import admin

from teams.models import Activity, Invitation, Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "connection", "role", "websites", "created"]
    list_filter = ["role"]
    search_fields = ["user__username", "connection__label"]
    raw_id_fields = ["user", "connection"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["connection", "role", "note", "created_by", "created", "expires", "used", "revoked"]
    # Made from the members page only, where the link is shown once; here they can be looked at.
    readonly_fields = [field.name for field in Invitation._meta.fields]

    def has_add_permission(self, request):
        return False


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
