"""Reading the dashboard's answers as a user would: visible text, toasts, and forms as a browser
submits them (so that tests post what the page really offers, not what a test assumes)."""

import json
from html.parser import HTMLParser

# Elements whose content a user never reads as text.
INVISIBLE = {"script", "style", "template", "head"}
# Elements that flow inside a line of text: a word marked up in a sentence (a name kept from
# translation in a <span translate="no">) reads as part of it, without a break either side.
INLINE = {"span", "strong", "em", "b", "i", "code", "small", "time", "abbr", "mark", "sub", "sup"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.text = [], []
        self._form = self._select = self._textarea = None
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        a = {name: "" if value is None else value for name, value in attrs}
        if tag not in INLINE:
            self.text.append(" ")
        if tag in INVISIBLE:
            self._hidden += 1
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "hx_post": a.get("hx-post", ""),
                "fields": [],
            }
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._option(a)
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                # What a user could tick, ticked or not: (name, value).
                self._form.setdefault("offered", []).append((a["name"], a.get("value", "on")))
                if "checked" not in a:
                    return
            if kind not in ("submit", "button", "image", "reset", "file"):
                self._form["fields"].append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = {"name": a["name"], "value": None, "first": None}
        elif tag == "textarea":
            self._textarea = [a["name"], ""]
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._form.setdefault("buttons", []).append((a["name"], a.get("value", "")))

    def _option(self, a):
        value = a.get("value", "")
        if self._select["first"] is None:
            self._select["first"] = value
        if "selected" in a:
            self._select["value"] = value

    def handle_endtag(self, tag):
        if tag not in INLINE:
            self.text.append(" ")
        if tag in INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            value = self._select["value"] if self._select["value"] is not None else self._select["first"]
            if self._form is not None and value is not None:
                self._form["fields"].append((self._select["name"], value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form["fields"].append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        if not self._hidden:
            self.text.append(data)


def parse(html):
    page = _Page()
    page.feed(html if isinstance(html, str) else html.decode())
    return page


def visible_text(html):
    """The page's text as read on screen, whitespace collapsed."""
    return " ".join("".join(parse(html).text).split())


def toasts(response):
    """The messages of the toasts an htmx answer carries in its HX-Trigger header."""
    header = response.get("HX-Trigger") if hasattr(response, "get") else response.headers.get("HX-Trigger")
    if not header:
        return []
    return [item["message"] for item in json.loads(header).get("toasts", {}).get("items", [])]


def what_the_user_reads(response):
    """Everything a user is told by an answer: the visible text of its body, and its toasts."""
    body = response.content.decode(errors="replace")
    return " ".join([visible_text(body), *toasts(response)]).strip()


def form_with(html, field):
    """The fields of the first form that has this field, as a dict (the last value of a name wins)."""
    for form in parse(html).forms:
        if any(name == field for name, _ in form["fields"]):
            return dict(form["fields"])
    raise AssertionError(f"no form with a {field!r} field on the page")


def all_forms(html):
    return parse(html).forms


def form_posting_to(html, action):
    """The form that posts to this URL, as parsed (its fields, and the boxes it offers to tick)."""
    for form in parse(html).forms:
        if form["action"] == action:
            return form
    raise AssertionError(f"no form posting to {action!r} on the page")
