from django.urls import path

from teams import views

app_name = "teams"

urlpatterns = [
    path("connections/<id:connection_id>/members/", views.members, name="members"),
    path("connections/<id:connection_id>/members/add/", views.member_add, name="member_add"),
    path("connections/<id:connection_id>/members/<id:member_id>/", views.member_change, name="member_change"),
    path(
        "connections/<id:connection_id>/members/<id:member_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("connections/<id:connection_id>/invitations/", views.invitation_new, name="invitation_new"),
    path("connections/<id:connection_id>/groups/", views.group_roles, name="group_roles"),
    path(
        "connections/<id:connection_id>/invitations/<id:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.join, name="join"),
    path("connections/<id:connection_id>/activity/", views.connection_activity, name="activity"),
    path("connections/<id:connection_id>/activity/<id:entry_id>/restore/", views.restore, name="restore"),
    path(
        "connections/<id:connection_id>/flows/<id:flow_id>/activity/",
        views.flow_activity,
        name="flow_activity",
    ),
]
