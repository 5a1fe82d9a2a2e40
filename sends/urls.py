from django.urls import path

from sends import views

app_name = "sends"

# A flow's test beside its other pages; a person's own test devices and sends by their own ids
# (another person's answer 404, as missing ones do).
C = "connections/<id:connection_id>/"
urlpatterns = [
    path(C + "subscribers/", views.subscriber_list, name="subscribers"),
    path(C + "subscribers/devices/", views.device_add, name="device_add"),
    path(C + "flows/test/", views.test_send, name="test_new"),
    path(C + "flows/<id:flow_id>/test/", views.test_send, name="test"),
    path("test-devices/<id:device_id>/delete/", views.device_remove, name="device_remove"),
    path("tests/<id:send_id>/", views.test_status, name="status"),
]
