from django.urls import path

from . import views

app_name = "sandbox"

# The real server answers with and without the trailing slash (the page itself uses both).
urlpatterns = [
    path("api/flows", views.flows, name="flows"),
    path("api/flows/", views.flows, name="flows-slash"),
    path("api/flows/<int:flow_id>", views.flow, name="flow"),
    path("api/flows/<int:flow_id>/", views.flow, name="flow-slash"),
    path("api/websites", views.websites),
    path("api/websites/", views.websites, name="websites"),
    path("api/websites/<int:website_id>", views.websites, name="website"),
    path("api/segments", views.segments),
    path("api/segments/", views.segments, name="segments"),
    path("api/segments/<int:segment_id>", views.segments, name="segment"),
    path("api/user", views.user, name="user"),
    path("api/subscribers", views.subscribers),
    path("api/subscribers/", views.subscribers, name="subscribers"),
    path("api/subscribers/<int:subscriber_id>", views.subscribers, name="subscriber"),
    path("api/subscribers-logs", views.subscriber_logs),
    path("api/subscribers-logs/", views.subscriber_logs, name="subscriber-logs"),
    path("api/personal-notifications", views.personal_notifications),
    path("api/personal-notifications/", views.personal_notifications, name="personal-notifications"),
    path(
        "api/personal-notifications/<int:notification_id>",
        views.personal_notifications,
        name="personal-notification",
    ),
    path("uploads/<str:name>", views.upload, name="upload"),
    path("pixel/<str:pixel_key>/", views.this_browser, name="this-browser"),
]
