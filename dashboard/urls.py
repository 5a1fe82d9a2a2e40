from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog


@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico wherever a page names no icon (the admin, a bare image). The
    # hashed static name is only known once collectstatic has run: look it up per request.
    return redirect(static("img/logo.svg"))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    # static/js/app.js's texts in the page's language (locale/*/LC_MESSAGES/djangojs.po): a script
    # file like any other, so the CSP's script-src 'self' holds. Only the project's own catalog.
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["flows_app"]), name="javascript-catalog"),
    path("", include("flows_app.urls")),
    path("connections/<int:connection_id>/", include("trends.urls")),
    path("", include("teams.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
