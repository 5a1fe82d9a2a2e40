from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_GET


@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico wherever a page names no icon (the admin, a bare image). The
    # hashed static name is only known once collectstatic has run: look it up per request.
    return redirect(static("img/logo.svg"))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    path("", include("flows_app.urls")),
    path("connections/<int:connection_id>/", include("trends.urls")),
    path("", include("teams.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
