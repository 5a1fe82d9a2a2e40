from django.urls import path

from flows.views import (
    connections,
    deliveries,
    editing,
    flow,
    listing,
    overview,
    preferences,
    sequence,
    uploads,
)

# Under connections/<connection_id>/flows/, in the "flows" namespace: dashboard/urls.py adds the
# other apps' pages about flows beside them.
flow_patterns = [
    path("", listing.flow_list, name="list"),
    path("export.csv", listing.flow_export, name="export"),
    path("export.json", listing.flow_export_json, name="export_json"),
    path("segments/", editing.flow_segments, name="segments"),
    path("new/", editing.flow_new, name="new"),
    path("<id:flow_id>/", flow.flow_detail, name="detail"),
    path("<id:flow_id>/edit/", editing.flow_edit, name="edit"),
    path("<id:flow_id>/toggle/", listing.flow_toggle, name="toggle"),
    path("<id:flow_id>/pause/", deliveries.flow_pause, name="pause"),
    path("<id:flow_id>/deliveries/", deliveries.flow_deliveries, name="deliveries"),
    path("<id:flow_id>/delete/", flow.flow_delete, name="delete"),
    path("<id:flow_id>/duplicate/", editing.flow_duplicate, name="duplicate"),
]

urlpatterns = [
    path("", overview.home, name="home"),
    path("connections/", connections.connection_list, name="connections"),
    path("connections/new/", connections.connection_new, name="connection_new"),
    path("connections/<id:connection_id>/edit/", connections.connection_edit, name="connection_edit"),
    path("connections/<id:connection_id>/delete/", connections.connection_delete, name="connection_delete"),
    path(
        "connections/<id:connection_id>/default/", connections.connection_default, name="connection_default"
    ),
    path("connections/<id:connection_id>/websites/", overview.websites, name="websites"),
    path(
        "connections/<id:connection_id>/websites/<id:website_id>/sequence/",
        sequence.website_sequence,
        name="sequence",
    ),
    path("uploads/<str:token>/", uploads.kept_image, name="kept_image"),
    path("preferences/theme/", preferences.theme, name="theme"),
    path("preferences/language/", preferences.language, name="language"),
    path("preferences/columns/", preferences.list_columns, name="list_columns"),
]
