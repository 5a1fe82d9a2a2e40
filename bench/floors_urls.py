"""The dashboard's URLs and the Django floor of the plain list (see bench/floors.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path

from flows_app.access import flows_api


@login_required
def with_connection(request, connection_id):
    _, api = flows_api(request, connection_id)
    answer = api.client.session.get(api.client.base_url + "/api/flows/", params=request.GET, timeout=30)
    return HttpResponse(answer.content, answer.headers["Content-Type"], answer.status_code)


urlpatterns = [
    path("floor/connection/<int:connection_id>/", with_connection),
    path("", include("dashboard.urls")),
]
