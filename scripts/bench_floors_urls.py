"""The dashboard's URLs and the two Django floors of `make bench` (see bench_floors.py)."""

from bench_floors import fetch_page
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path

from flows_app.access import flows_api


def passed_on(answer):
    return HttpResponse(
        answer.content, status=answer.status_code, content_type=answer.headers["Content-Type"]
    )


def django_alone(request):
    return passed_on(fetch_page(request.META["QUERY_STRING"], request.headers.get("Authorization", "")))


@login_required
def with_connection(request, connection_id):
    _, api = flows_api(request, connection_id)
    return passed_on(
        api.client.session.get(api.client.base_url + "/api/flows/", params=request.GET, timeout=30)
    )


urlpatterns = [
    path("floor/django/", django_alone),
    path("floor/connection/<int:connection_id>/", with_connection),
    path("", include("dashboard.urls")),
]
