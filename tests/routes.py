"""The dashboard's URL table as the walkers read it (tests/test_isolation.py, test_roles.py and
test_csrf.py): every route from the project's URLconf, so that a URL added later, in any app, is
walked without anyone remembering to add it to a list."""

import re

from django.urls import URLPattern, URLResolver

from dashboard import urls

# URL parameters that name nothing of anyone's (the JavaScript catalog's language and version; a
# password reset's link, whose key is checked against its account, not looked up), with a value
# each for the walkers.
NOT_IDS = {"language": "en", "catalog_version": "0123456789ab", "uidb36": "1", "key": "abc-def"}
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def routes(patterns=urls.urlpatterns, prefix=""):
    """Every route of the dashboard, includes flattened, as Django's pattern strings: Django's
    admin and the sandbox API (a server of its own) apart."""
    for pattern in patterns:
        if str(pattern.pattern) in ("admin/", "sandbox/"):
            continue
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern)


# trends.urls is included under each connection (dashboard/urls.py).
ROUTES = sorted(routes())
WITH_IDS = [route for route in ROUTES if set(PARAMETER.findall(route)) - NOT_IDS.keys()]


def fill(route, values):
    values = {**NOT_IDS, **values}

    def value(match):
        name = match.group(1)
        assert name in values, f"the isolation walker does not know the URL parameter {name!r}: teach it"
        return str(values[name])

    return "/" + PARAMETER.sub(value, route)
