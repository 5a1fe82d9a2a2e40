from django.contrib import admin

from .models import ApiAccount, Fault, Flow, PersonalNotification, Segment, Subscriber, SubscriberLog, Website


@admin.register(ApiAccount)
class ApiAccountAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "masked_key",
        "api_enabled",
        "flows_limit",
        "order_by",
        "analytics_is_enabled",
        "ip_storage_is_enabled",
    )


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


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = (
        "unique_endpoint_id",
        "website",
        "country_code",
        "device_type",
        "total_sent_push_notifications",
        "datetime",
    )
    list_filter = ("device_type", "website")


@admin.register(SubscriberLog)
class SubscriberLogAdmin(admin.ModelAdmin):
    list_display = ("type", "website", "subscriber_id", "flow_id", "personal_notification_id", "datetime")
    list_filter = ("type",)


@admin.register(PersonalNotification)
class PersonalNotificationAdmin(admin.ModelAdmin):
    list_display = ("name", "website", "subscriber_id", "status", "is_sent", "datetime")
    list_filter = ("status",)
