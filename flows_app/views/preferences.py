from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from flows_app.models import Preferences


@login_required
@require_POST
def theme(request):
    """Light, dark or the system's: kept per user, so every page is drawn in it from the start."""
    chosen = request.POST.get("theme")
    if chosen not in dict(Preferences.THEMES):
        return HttpResponseBadRequest("theme must be system, light or dark.")
    Preferences.of(request).remember(theme=chosen)
    if request.htmx:
        # app.js has already switched the page; nothing to swap.
        return HttpResponse(status=204)
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure())
    return redirect(back if safe else "home")
