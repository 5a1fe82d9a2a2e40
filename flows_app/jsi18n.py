"""static/js/app.js's texts (Django's JavaScriptCatalog) at a URL that names the language and a
version of the catalog, so that browsers keep it a year like the hashed static files."""

import hashlib
from functools import cache

from django.conf import settings
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

# Only the project's own catalog (locale/*/LC_MESSAGES/djangojs.po).
catalog = JavaScriptCatalog.as_view(packages=["flows_app"])


def rendered(language):
    request = HttpRequest()
    request.method = "GET"
    with translation.override(language):
        return catalog(request)


@cache
def version(language):
    """A short hash of the catalog as served: its translations, and also the language's number
    and date formats and Django's own script around them. Computed once per process: the
    catalogs change only with a deploy."""
    return hashlib.sha256(rendered(language).content).hexdigest()[:12]


def catalog_url(language):
    return reverse("javascript-catalog", args=[language, version(language)])


@require_GET
def javascript_catalog(request, language, catalog_version):
    if language not in dict(settings.LANGUAGES):
        raise Http404
    if catalog_version != version(language):
        # Another version than this process's: a page from before or after a deploy, served by
        # another process during a rolling one. Answering with this catalog under that name would
        # keep the wrong texts for a year; the redirect (never stored) gives this version's own
        # URL, and the page still gets its texts.
        response = redirect(catalog_url(language))
        add_never_cache_headers(response)
        return response
    response = rendered(language)
    patch_cache_control(response, public=True, max_age=60 * 60 * 24 * 365, immutable=True)
    return response


def catalog_varies_on_nothing(get_response):
    """The catalog depends on its URL alone, but the middleware inside this one (sessions, language,
    htmx) mark every answer as varying on Cookie, Accept-Language and HX-Request, and browsers
    honour Vary: a new cookie (a CSRF token, a login) would fetch the catalog again. Only gzip's
    Accept-Encoding, added by the middleware outside this one, is kept."""

    def middleware(request):
        response = get_response(request)
        match = request.resolver_match
        if match is not None and match.view_name == "javascript-catalog":
            del response["Vary"]
        return response

    return middleware
