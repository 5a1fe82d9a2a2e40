from django.urls import path

from . import views

app_name = "sandbox"

# The real server answers with and without the trailing slash (the page itself uses both).
urlpatterns = [
    path("api/flows", views.flows, name="flows"),
    path("api/flows/", views.flows, name="flows-slash"),
    path("api/flows/<int:flow_id>", views.flow, name="flow"),
    path("api/flows/<int:flow_id>/", views.flow, name="flow-slash"),
    path("uploads/<str:name>", views.upload, name="upload"),
]
