from django.urls import path

from teams import views

app_name = "teams"

urlpatterns = [
    path("connections/<int:connection_id>/members/", views.members, name="members"),
    path("connections/<int:connection_id>/members/add/", views.member_add, name="member_add"),
    path(
        "connections/<int:connection_id>/members/<int:member_id>/", views.member_change, name="member_change"
    ),
    path(
        "connections/<int:connection_id>/members/<int:member_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("connections/<int:connection_id>/invitations/", views.invitation_new, name="invitation_new"),
    path(
        "connections/<int:connection_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.join, name="join"),
    path("connections/<int:connection_id>/activity/", views.connection_activity, name="activity"),
    path("connections/<int:connection_id>/activity/<int:entry_id>/restore/", views.restore, name="restore"),
    path(
        "connections/<int:connection_id>/flows/<int:flow_id>/activity/",
        views.flow_activity,
        name="flow_activity",
    ),
]
