"""Cross-cutting concerns, each handled once for every view."""

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django_htmx.http import reswap

from flows_app.access import NotAllowed
from flows_app.api import ApiError
from flows_app.crypto import DecryptionError
from flows_app.failures import describe
from flows_app.models import Preferences, Role
from flows_app.toasts import add_toast


class RequestSizeLimitMiddleware:
    """Refuses a request body larger than REQUEST_MAX_BYTES before anything reads it.

    First in the chain: the CSRF check (and any access to request.POST) would otherwise read and
    parse the whole body, for anyone, logged in or not. The limit leaves room for an image a few
    times too large, so that the form can still say what is wrong with it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            response = HttpResponse(
                _(
                    "This request is larger than Pushdeck accepts (%(limit)s). An image may be up to %(image)s."
                )
                % {
                    "limit": filesizeformat(settings.REQUEST_MAX_BYTES),
                    "image": filesizeformat(settings.IMAGE_MAX_BYTES),
                },
                status=413,
                content_type="text/plain; charset=utf-8",
            )
            response["Content-Length"] = len(response.content)
            return response
        return self.get_response(request)


class UserLanguageMiddleware:
    """Speaks a signed-in user's chosen language (Preferences.language, chosen in the account
    menu) on every page, whatever the browser asks for; without a choice LocaleMiddleware's pick
    (Accept-Language, or the language cookie) stands. The preferences are read once a request and
    kept for the page (its theme), so this costs no query of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            chosen = Preferences.of(request).language
            if chosen and chosen != request.LANGUAGE_CODE:
                translation.activate(chosen)
                request.LANGUAGE_CODE = chosen
        return self.get_response(request)


class ApiErrorMiddleware:
    """Turns any upstream failure a view lets through into a page (or, for htmx, a toast); so too
    a member's request that their role does not allow (flows_app.access.NotAllowed).

    Views therefore only catch ApiError where they can do better in place (a form keeps the
    user's input, a row shows why its toggle failed).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotAllowed):
            return self.not_allowed(request, exception)
        if not isinstance(exception, ApiError | DecryptionError):
            return None
        failure = describe(exception, getattr(request, "connection", None))
        if getattr(request, "htmx", False):
            response = reswap(HttpResponse(status=failure.status), "none")
            add_toast(response, "error", failure.summary, failure.link, failure.link_label)
        else:
            response = render(request, "errors/api.html", {"failure": failure}, status=failure.status)
        if failure.retry_after:
            response["Retry-After"] = str(failure.retry_after)
        return response

    @staticmethod
    def not_allowed(request, exception):
        """A member without the right: what their role is, and whom to ask for more."""
        if getattr(request, "htmx", False):
            return add_toast(reswap(HttpResponse(status=403), "none"), "error", str(exception))
        admins = exception.connection.memberships.filter(role=Role.ADMIN).select_related("user")
        context = {"reason": str(exception), "admins": [member.user for member in admins]}
        return render(request, "errors/not_allowed.html", context, status=403)


class HtmxMessagesMiddleware:
    """Delivers Django messages as toasts on htmx answers, which do not re-render the base page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        # A redirect or a full-page navigation shows the messages on the page it lands on.
        if not htmx or htmx.boosted or response.status_code in (301, 302) or "HX-Redirect" in response:
            return response
        for message in get_messages(request):
            add_toast(response, message.level_tag or "info", message.message)
        return response


class HtmxHistoryMiddleware:
    """Keeps a page and its htmx fragment (one URL, two answers) apart in the browser's cache.

    Without this, Back after an htmx navigation can show the fragment the browser kept for that
    address, bare and unstyled. Every answer varies on HX-Request, and none is stored unless its
    view says otherwise: pages hold one user's data, and a stored page would come back stale after
    a toggle. htmx keeps no snapshots either (historyCacheSize 0 in base.html): Back asks again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_vary_headers(response, ["HX-Request"])
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
