"""Forms own validation: every constraint of API_CONTRACT.md is checked here, before sending.

The server clamps and substitutes silently (a 300-character name is cut, a bad ttl becomes four
weeks); checking first means a user never has a value quietly changed.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import URLValidator
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from flows_app.api import ApiError, Unauthorized, connect
from flows_app.api.client import discard_session
from flows_app.api.records import URGENCIES, WAIT_TIME_TYPES
from flows_app.drafts import keep_upload, kept_upload
from flows_app.failures import describe
from flows_app.fields import FLOW_FIELDS, SUBSTITUTABLE, TTL_LABELS, URGENCY_LABELS, fingerprint, flow_values
from flows_app.images import read_image
from flows_app.models import Connection, server_choices

# Logging in


class LoginForm(AuthenticationForm):
    """Django's login form, with a wrong username or password said in Pushdeck's own words."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("The username or password is wrong. Both are case-sensitive."),
    }


# Connections


class ConnectionForm(forms.ModelForm):
    server = forms.ChoiceField(label=gettext_lazy("Server"), choices=server_choices)
    api_key = forms.CharField(
        label=gettext_lazy("API key"),
        required=False,
        strip=True,
        max_length=512,
        # Write-only: the stored key is never sent back to the browser.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    class Meta:
        model = Connection
        fields = ["label", "server"]
        labels = {"label": gettext_lazy("Name")}
        widgets = {
            "label": forms.TextInput(
                attrs={"placeholder": gettext_lazy("e.g. Main shop"), "autocomplete": "off"}
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            key = format_html('<span class="mono" translate="no">{}</span>', self.instance.masked_key)
            self.fields["api_key"].help_text = format_html(
                _("Leave blank to keep the current key ({key})."), key=key
            )
        else:
            self.fields["api_key"].required = True
            self.fields["api_key"].help_text = _("From your account page on the server: API → your key.")

    def clean(self):
        cleaned = super().clean()
        server, new_key = cleaned.get("server"), cleaned.get("api_key")
        if self.errors or not server:
            return cleaned
        if new_key or server != self.instance.server:
            self._check_key(server, new_key or self.instance.api_key)
        return cleaned

    def _check_key(self, server, key):
        """One list call proves the key works on that server before it is stored."""
        probe = Connection(server=server)
        probe.set_api_key(key)
        api = connect(probe)
        try:
            api.list_flows(1, 10, fresh=True)
        except ApiError as error:
            # A key that failed is not kept: neither is its session (and its socket).
            discard_session(api.client)
            if isinstance(error, Unauthorized):
                self.add_error(
                    "api_key", _("The server rejected this API key: %(said)s") % {"said": error.message}
                )
            else:
                self.add_error(
                    None, _("The key could not be checked. %(why)s") % {"why": describe(error).summary}
                )

    def save(self, commit=True):
        if self.cleaned_data.get("api_key"):
            self.instance.set_api_key(self.cleaned_data["api_key"])
        return super().save(commit)


# Flows


def _subscribers(count):
    shown = number_format(count, force_grouping=True)
    return ngettext("%(count)s subscriber", "%(count)s subscribers", count) % {"count": shown}


def _segment_label(segment):
    return f"{segment.name} · {_subscribers(segment.total_subscribers)}"


WAIT_UNITS = {
    "minutes": pgettext_lazy("wait time unit", "minutes"),
    "hours": pgettext_lazy("wait time unit", "hours"),
    "days": pgettext_lazy("wait time unit", "days"),
}
# The server clamps wait times to 1..90 days, whatever the unit (API_CONTRACT.md).
WAIT_LIMITS = {"minutes": 90 * 24 * 60, "hours": 90 * 24, "days": 90}
WAIT_LIMIT_MESSAGES = {
    "minutes": gettext_lazy("At most %(limit)s minutes (90 days)."),
    "hours": gettext_lazy("At most %(limit)s hours (90 days)."),
    "days": gettext_lazy("At most 90 days."),
}
BUTTONS = (1, 2)


def wait_limit_message(unit):
    return WAIT_LIMIT_MESSAGES[unit] % {"limit": number_format(WAIT_LIMITS[unit], force_grouping=True)}


class WebUrlField(forms.URLField):
    """A web address: one check (http or https only) and so one message, whatever is wrong with it."""

    default_validators = [URLValidator(schemes=["http", "https"])]
    default_error_messages = {
        "invalid": gettext_lazy("Enter a web address starting with http:// or https://.")
    }


def url_field(label, **kwargs):
    return WebUrlField(
        label=label,
        required=False,
        max_length=512,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        **kwargs,
    )


def readable(values, directory, website_id):
    """Flow values as a person reads them: the website and segment by name, and the fields with
    fixed choices by the form's labels ("1 day", not 86400; "High", not "high"). ``website_id``
    is the website of a segment when ``values`` has none, as in an edit's changes."""
    website_id = values.get("website_id", website_id)
    shown = {
        name: CHOICE_LABELS[name].get(value, value) if name in CHOICE_LABELS else value
        for name, value in values.items()
    }
    if "website_id" in values:
        shown["website_id"] = directory.website_label(values["website_id"])
    if "segment" in values:
        shown["segment"] = directory.segment_label(website_id, values["segment"])
    return shown


def substitutions(sent, answered, directory):
    """Each field the server kept otherwise than it was sent (it substitutes and clamps silently,
    API_CONTRACT.md), as (label, what was sent, what the server kept), readable."""
    kept = flow_values(answered)
    differing = {name: value for name, value in sent.items() if kept[name] != value}
    wanted = readable(differing, directory, answered.website_id)
    got = readable({name: kept[name] for name in differing}, directory, answered.website_id)

    def text(value):
        if isinstance(value, bool):
            return _("on") if value else _("off")
        return str(value)

    return [(FlowForm.label_of(name), text(wanted[name]), text(got[name])) for name in differing]


class WebsiteSelect(forms.Select):
    """Each website's option carries its host: a subscriber's browser shows the notification as
    coming from the website they subscribed on, which the live preview follows (app.js)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hosts = {}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value in self.hosts:
            option["attrs"]["data-host"] = self.hosts[value]
        return option


class FlowForm(forms.Form):
    """Create and edit (and duplicate) one flow. Field names are the API's parameter names."""

    # The choices are the connection's own names (translate="no": no browser translates them).
    website_id = forms.TypedChoiceField(
        label=gettext_lazy("Website"),
        coerce=int,
        widget=WebsiteSelect(attrs={"translate": "no"}),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Choose one of this connection's websites: the server would put the flow on another one."
            )
        },
    )
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=256,
        help_text=gettext_lazy("Shown in Pushdeck only; subscribers never see it."),
    )
    segment = forms.ChoiceField(
        label=gettext_lazy("Send to"),
        initial="all",
        widget=forms.Select(attrs={"translate": "no"}),
        help_text=gettext_lazy("All of the website's subscribers, or one segment."),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Choose “All subscribers” or one of this website's segments: "
                "the server would send to everyone instead."
            )
        },
    )
    # Off unless ticked: the server queues each new subscriber for every enabled flow, so a flow
    # that started enabled would send to real people from its first save (flows_app/copying.py).
    is_enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False, initial=False)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=64)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=128,
        widget=forms.Textarea(attrs={"rows": 3, "translate": "no"}),
    )
    url = url_field(gettext_lazy("Link"), help_text=gettext_lazy("Where a click takes the subscriber."))
    image = forms.FileField(
        label=gettext_lazy("Image"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )
    image_remove = forms.BooleanField(label=gettext_lazy("Remove the current image"), required=False)
    image_token = forms.CharField(required=False, widget=forms.HiddenInput)
    button_title_1 = forms.CharField(label=gettext_lazy("Button 1 text"), max_length=16, required=False)
    button_url_1 = url_field(gettext_lazy("Button 1 link"))
    button_title_2 = forms.CharField(label=gettext_lazy("Button 2 text"), max_length=16, required=False)
    button_url_2 = url_field(gettext_lazy("Button 2 link"))
    wait_time = forms.IntegerField(label=gettext_lazy("Send after"), min_value=1, initial=1)
    wait_time_type = forms.ChoiceField(
        label=gettext_lazy("Unit"),
        choices=[(unit, WAIT_UNITS[unit]) for unit in WAIT_TIME_TYPES],
        initial="days",
    )
    ttl = forms.TypedChoiceField(
        label=gettext_lazy("Keep trying to deliver for"),
        coerce=int,
        choices=list(TTL_LABELS.items()),
        initial=2419200,
    )
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"), choices=[(u, URGENCY_LABELS[u]) for u in URGENCIES], initial="normal"
    )
    is_silent = forms.BooleanField(label=gettext_lazy("Silent (no sound or vibration)"), required=False)
    is_auto_hide = forms.BooleanField(
        label=gettext_lazy("Hide automatically after a few seconds"), required=False
    )
    utm_source = forms.CharField(label=gettext_lazy("UTM source"), max_length=128, required=False)
    utm_medium = forms.CharField(label=gettext_lazy("UTM medium"), max_length=128, required=False)
    utm_campaign = forms.CharField(label=gettext_lazy("UTM campaign"), max_length=128, required=False)
    # Bookkeeping: the create form's one-time token, the edit form's view of the flow, and for a
    # duplicate the flow it copies and that flow's website (whose links a copy may replace).
    form_token = forms.CharField(required=False, widget=forms.HiddenInput)
    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)
    duplicate_of = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    copied_from = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, user, directory, editing=False, **kwargs):
        self.user = user
        self.directory = directory
        self.upload = None
        self.kept_token = ""
        super().__init__(*args, **kwargs)
        # Only what the connection has can be chosen: the server would put an unknown website's
        # flow on another website, and send an unknown segment's to everyone (API_CONTRACT.md).
        self.fields["website_id"].choices = [
            (site.id, f"{site.name} · {site.address} · {_subscribers(site.total_subscribers)}")
            for site in directory.websites
        ]
        self.fields["website_id"].widget.hosts = {site.id: site.host for site in directory.websites}
        self.fields["segment"].choices = self.segment_choices(self.chosen_website())
        self.fields["image"].help_text = _("JPEG, PNG, GIF or WebP, up to %(size)s.") % {
            "size": filesizeformat(settings.IMAGE_MAX_BYTES)
        }
        # app.js checks the size before the upload starts; read_image checks it again.
        self.fields["image"].widget.attrs["data-max-bytes"] = settings.IMAGE_MAX_BYTES
        if not editing:
            del self.fields["image_remove"]
            del self.fields["fingerprint"]
            self.fields["is_enabled"].help_text = _(
                "A new flow starts paused: saving it sends nothing. Tick this to send it to each "
                "new subscriber from then on."
            )
        else:
            for name in ("form_token", "duplicate_of", "copied_from"):
                del self.fields[name]

    @classmethod
    def label_of(cls, name):
        """A field's label by its API name (for the comparison page and substitution notes)."""
        return str(cls.base_fields[name].label or name.replace("_", " ").capitalize())

    @staticmethod
    def initial_for(flow):
        """The edit form's starting values: the flow, and the fingerprint of the version loaded."""
        return {**flow_values(flow), "fingerprint": fingerprint(flow)}

    def chosen_website(self):
        """The website whose segments the segment choice offers: the one sent, else the initial."""
        raw = self.data.get("website_id") if self.is_bound else self.initial.get("website_id")
        try:
            website = self.directory.website(int(raw))
        except (TypeError, ValueError):
            website = None
        return website or (self.directory.websites[0] if self.directory.websites else None)

    @property
    def preview_host(self):
        website = self.chosen_website()
        return website.host if website else ""

    def segment_choices(self, website):
        segments = self.directory.segments_of(website.id) if website else ()
        return [("all", _("All subscribers")), *((str(item.id), _segment_label(item)) for item in segments)]

    def clean_image(self):
        uploaded = self.cleaned_data.get("image")
        if uploaded:
            self.upload = read_image(uploaded)
            self.kept_token = keep_upload(self.user, self.upload)
        elif self.data.get("image_token"):
            self.upload = kept_upload(self.user, self.data["image_token"])
            self.kept_token = self.data["image_token"] if self.upload else ""
        return uploaded

    def clean(self):
        cleaned = super().clean()
        unit, wait = cleaned.get("wait_time_type"), cleaned.get("wait_time")
        if unit and wait and wait > WAIT_LIMITS[unit]:
            self.add_error("wait_time", wait_limit_message(unit))
        for n in BUTTONS:
            title, url = cleaned.get(f"button_title_{n}"), cleaned.get(f"button_url_{n}")
            if url and not title:
                self.add_error(f"button_title_{n}", _("A button with a link needs a text."))
            if title and not url and f"button_url_{n}" not in self.errors:
                self.add_error(f"button_url_{n}", _("A button with a text needs a link."))
        return cleaned

    def values(self):
        """What the form says the flow should be, under the API's names (image apart)."""
        return {name: self.cleaned_data[name] for name in FLOW_FIELDS}

    def changes(self, current):
        """Only the fields that differ from the flow as it is on the server now."""
        before = flow_values(current)
        return {name: value for name, value in self.values().items() if value != before[name]}

    @property
    def kept_image_url(self):
        return reverse("kept_image", args=[self.kept_token]) if self.kept_token else ""

    @property
    def remove_image(self):
        return bool(self.cleaned_data.get("image_remove")) and self.upload is None


# The labels of the fields whose choices are the same for every connection (the website and
# segment choices are the connection's own: readable names those from the directory).
CHOICE_LABELS = {
    name: dict(field.choices)
    for name, field in FlowForm.base_fields.items()
    if isinstance(field, forms.ChoiceField) and name not in SUBSTITUTABLE
}
