from django.urls import path

from trends import views

app_name = "trends"

# Under connections/<connection_id>/, beside the flows' own pages.
urlpatterns = [
    path("trends/", views.overview, name="connection"),
    path("stats.csv", views.connection_csv, name="connection_csv"),
    path("websites/<id:website_id>/trends/", views.overview, name="website"),
    path("websites/<id:website_id>/stats.csv", views.connection_csv, name="website_csv"),
    path("flows/<id:flow_id>/trend/", views.flow_fragment, name="flow"),
    path("flows/<id:flow_id>/stats.csv", views.flow_csv, name="flow_csv"),
]
