from django.conf import settings
from django.contrib import admin
from django.core.exceptions import TooManyFieldsSent
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from flows import urls as flows_urls
from flows_app.jsi18n import javascript_catalog
from jobs import urls as jobs_urls


@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico wherever a page names no icon (the admin, a bare image). The
    # hashed static name is only known once collectstatic has run: look it up per request.
    return redirect(static("img/logo.svg"))


def bad_request(request, exception):
    """Django's 400, saying what was wrong where that is known: more fields than a request may
    hold (DATA_UPLOAD_MAX_NUMBER_FIELDS), which only a selection larger than a bulk job takes
    reaches (dashboard/settings.py)."""
    context = {
        "too_many_fields": isinstance(exception, TooManyFieldsSent),
        "max_fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        "max_flows": settings.JOBS_MAX_ITEMS,
    }
    return render(request, "400.html", context, status=400)


handler400 = bad_request

admin.site.site_header = admin.site.site_title = _("Pushdeck administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    # static/js/app.js's texts in the page's language (locale/*/LC_MESSAGES/djangojs.po): a script
    # file like any other, so the CSP's script-src 'self' holds; versioned, so kept a year.
    path("jsi18n/<str:language>/<str:catalog_version>.js", javascript_catalog, name="javascript-catalog"),
    path("", include("accounts.urls")),
    path("", include("flows.urls")),
    path(
        "connections/<id:connection_id>/flows/",
        include((flows_urls.flow_patterns + jobs_urls.flow_patterns, "flows")),
    ),
    *jobs_urls.connection_patterns,
    path("jobs/", include("jobs.urls")),
    path("connections/<id:connection_id>/", include("trends.urls")),
    path("", include("sends.urls")),
    path("", include("teams.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
