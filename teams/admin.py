from django.contrib import admin

from teams.models import Invitation


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["connection", "role", "note", "created_by", "created", "expires", "used", "revoked"]
    # Made from the members page or the People page, where the link is shown once; here they can be looked at.
    readonly_fields = [field.name for field in Invitation._meta.fields]

    def has_add_permission(self, request):
        return False
