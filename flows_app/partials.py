"""One view serves a page and its fragments: htmx requests get the named partial only."""


def template_for(request, template, partial):
    htmx = getattr(request, "htmx", None)
    # A history-restore request after a cache miss needs the whole page back.
    if htmx and not htmx.history_restore_request:
        return f"{template}#{partial}"
    return template
