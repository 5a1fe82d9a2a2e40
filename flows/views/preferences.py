from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import activate
from django.views.decorators.http import require_POST

from flows.rows import COLUMNS, OPTIONAL
from flows_app.models import Preferences


def _back(request):
    """The page the choice was made on, when it is one of this site's."""
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure())
    return redirect(back if safe else "home")


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
    return _back(request)


@login_required
@require_POST
def list_columns(request):
    """The flows list's Columns menu: the columns ticked show, the others are kept hidden."""
    chosen = set(request.POST.getlist("columns"))
    if not chosen <= OPTIONAL:
        return HttpResponseBadRequest("columns must be among " + ", ".join(sorted(OPTIONAL)) + ".")
    hidden = ",".join(column.name for column in COLUMNS if column.optional and column.name not in chosen)
    Preferences.of(request).remember(hidden_columns=hidden)
    return _back(request)


@login_required
@require_POST
def language(request):
    """The account menu's language: kept per user (UserLanguageMiddleware applies it on every
    request), and in the language cookie, so that the login page after signing out speaks it too."""
    chosen = request.POST.get("language")
    if chosen not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest("language must be one of " + ", ".join(dict(settings.LANGUAGES)) + ".")
    Preferences.of(request).remember(language=chosen)
    activate(chosen)
    response = _back(request)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        chosen,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
