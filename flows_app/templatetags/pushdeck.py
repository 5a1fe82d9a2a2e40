from urllib.parse import urlsplit

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext

from flows_app.fields import URGENCY_LABELS, ttl_label
from flows_app.formatting import icon, list_query, num, percent, shown
from flows_app.forms import FlowForm
from flows_app.jsi18n import catalog_url
from flows_app.models import Connection, Preferences
from flows_app.text import sentences as join_sentences
from flows_app.text import word_list
from flows_app.untranslated import untranslated

register = template.Library()
register.filter("num", num)
register.filter("percent", percent)
register.filter("shown", shown)
register.simple_tag(icon)
# What a table shows for "no value" (a click rate when nothing was displayed, an empty field).


@register.simple_tag(takes_context=True)
def user_connections(context):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    if hasattr(request, "user_connections"):
        return request.user_connections
    return list(Connection.objects.for_user(request.user))


@register.simple_tag(takes_context=True)
def user_preferences(context):
    """The viewer's preferences: the page is drawn in the chosen theme from its first byte."""
    request = context.get("request")
    return Preferences.of(request) if request is not None else Preferences()


@register.simple_tag
def javascript_catalog_url():
    """The JavaScript catalog of the page's language, at its versioned URL."""
    return catalog_url(get_language())


@register.simple_tag
def sentences(*parts):
    """Translated sentences side by side, a space between them only where their language has one."""
    return mark_safe(join_sentences(*(conditional_escape(part) for part in parts)))  # noqa: S308 -- escaped


@register.filter("word_list")
def word_list_filter(items):
    """A list of names (escaped) as the page's language lists words."""
    return mark_safe(word_list(conditional_escape(item) for item in items))  # noqa: S308 -- escaped


@register.filter
def quoted(name):
    """A name in quotes, the quotes inside its untranslated element: one piece of text, so that
    no layout puts a gap inside the quotes (a heading or a chip lays its text and elements out
    as flex items, a gap between each: “ Flash sale teaser ”)."""
    return untranslated(pgettext("quotes around a name in a sentence", "“%(name)s”") % {"name": name})


@register.filter
def ratio(part, whole):
    return part / whole if whole else None


@register.filter
def width_class(part, whole):
    """A CSS width class in steps of 5% (the CSP forbids style attributes); a sliver for any non-zero."""
    if not whole or not part:
        return "w-0"
    step = min(100, round(part / whole * 20) * 5)
    return f"w-{step or 1}"


register.filter("ttl_label", ttl_label)


@register.filter
def urgency_label(urgency):
    """The urgency in the reader's words; a value the server added since is shown as it is."""
    return URGENCY_LABELS.get(urgency, urgency)


@register.filter
def host(url):
    return urlsplit(url or "").hostname or ""


@register.filter
def minutes(delta):
    """A timedelta as whole minutes, at least one."""
    return max(1, round(delta.total_seconds() / 60)) if delta else 1


@register.simple_tag(takes_context=True)
def page_query(context, page, per_page):
    # Both are numbers: formatting them is a tenth of urlencode's cost, and a page has 15 of these.
    # The list's search, filters and sort (already encoded, once per page) follow them.
    return f"?page={int(page)}&results_per_page={int(per_page)}{context.get('query_suffix', '')}"


@register.simple_tag(takes_context=True)
def query_url(context, **changes):
    """The list's URL for its query with ``changes`` (a parameter set to "" is dropped), page 1."""
    return list_query(context["per_page"], context["query"], **changes)


@register.filter
def field_label(name):
    """The flow form's label for an API field name, for the comparison page."""
    return FlowForm.label_of(name)


@register.filter
def page_numbers(result):
    """Page numbers to link, with None where a run of pages is left out: 1 … 4 5 6 … 12."""
    wanted = {1, result.total_pages, result.page - 1, result.page, result.page + 1}
    numbers = sorted(n for n in wanted if 1 <= n <= result.total_pages)
    shown = []
    for n in numbers:
        if shown and n - shown[-1] > 1:
            shown.append(None)
        shown.append(n)
    return shown


@register.filter
def is_web_url(url):
    """Whether a URL from upstream may become a link or an image source: http(s) only, so that no
    click on the dashboard runs a ``javascript:`` URL a server sent."""
    return urlsplit(url or "").scheme.lower() in ("http", "https")


@register.inclusion_tag("includes/web_link.html")
def web_link(url):
    """``url`` as a link when it is a web address, as plain text otherwise."""
    return {"url": url}


@register.filter
def website_label(directory, website_id):
    return directory.website_label(website_id)


@register.filter
def website_host(directory, website_id):
    site = directory.website(website_id)
    return site.host if site else ""


@register.filter
def has_website(directory, website_id):
    return directory.website(website_id) is not None


@register.filter
def segments_of(directory, website_id):
    return directory.segments_of(website_id)


@register.filter
def segment_chip(query, directory):
    """The audience filter's name: a segment id is looked up over every website."""
    if query.segment == "all":
        return directory.segment_label(0, "all")
    found = next((item for item in directory.segments if str(item.id) == query.segment), None)
    return found.name if found else directory.segment_label(0, query.segment)


@register.filter
def segment_label(directory, flow):
    return directory.segment_label(flow.website_id, flow.segment)
