from django.contrib import admin

from .models import ApiAccount, Fault, Flow, Segment, Website


@admin.register(ApiAccount)
class ApiAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "masked_key", "api_enabled", "flows_limit", "order_by")


@admin.register(Website)
class WebsiteAdmin(admin.ModelAdmin):
    list_display = ("host", "name", "account")


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "website")


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "website", "is_enabled", "total_sent_push_notifications")
    list_filter = ("is_enabled", "account")
    search_fields = ("name", "title")


@admin.register(Fault)
class FaultAdmin(admin.ModelAdmin):
    list_display = ("kind", "account", "status", "seconds", "methods", "remaining")
