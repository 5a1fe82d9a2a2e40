"""The dashboard's URLs and the Django floor of `make bench` (see bench_floors.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path

from flows_app.access import flows_api


@login_required
def django_passthrough(request, connection_id):
    _, api = flows_api(request, connection_id)
    answer = api.client.session.get(api.client.base_url + "/api/flows/", params=request.GET, timeout=30)
    return HttpResponse(
        answer.content, status=answer.status_code, content_type=answer.headers["Content-Type"]
    )


urlpatterns = [
    path("floor/django/<int:connection_id>/", django_passthrough),
    path("", include("dashboard.urls")),
]
