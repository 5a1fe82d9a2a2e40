import functools

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from flows_app import transfer
from flows_app.api.records import TTL_CHOICES, URGENCIES
from flows_app.fields import TTL_LABELS, URGENCY_LABELS
from flows_app.ids import as_id
from jobs.models import BulkJob

# The fields "set" may write, as the API names them (API_CONTRACT.md, "Write fields").
SET_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "ttl", "urgency")


class FlowIdsField(forms.Field):
    """``ids`` repeated in the request: ids (flows_app.ids), each once."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        ids = []
        for raw in value or ():
            flow_id = as_id(raw)
            if flow_id is None:
                raise forms.ValidationError(
                    _("“%(value)s” is not a flow id."), params={"value": str(raw)[:20]}
                )
            ids.append(flow_id)
        return list(dict.fromkeys(ids))


class BulkForm(forms.Form):
    # An import is no action on flows of the list: it has a page of its own.
    action = forms.ChoiceField(choices=[c for c in BulkJob.Action.choices if c[0] != BulkJob.Action.IMPORT])
    ids = FlowIdsField(required=False)
    # "Every flow matching the list's query" instead of ids (flows_app/find.py reads the query).
    match = forms.BooleanField(required=False)
    # Deleting, and changing every match of a query, are confirmed on a page that names the flows.
    confirmed = forms.BooleanField(required=False)
    utm_source = forms.CharField(label=_("UTM source"), max_length=128, required=False)
    utm_medium = forms.CharField(label=_("UTM medium"), max_length=128, required=False)
    utm_campaign = forms.CharField(label=_("UTM campaign"), max_length=128, required=False)
    ttl = forms.TypedChoiceField(
        label=_("Keep trying to deliver for"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", _("Unchanged")), *((ttl, TTL_LABELS[ttl]) for ttl in TTL_CHOICES)],
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        required=False,
        choices=[("", _("Unchanged")), *((u, URGENCY_LABELS[u]) for u in URGENCIES)],
    )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if not cleaned["match"] and not cleaned["ids"]:
            raise forms.ValidationError(_("Select at least one flow."))
        if cleaned["action"] == BulkJob.Action.SET and not self.changes():
            raise forms.ValidationError(_("Fill in at least one field to set."))
        return cleaned

    def set_fields(self):
        """The inputs of "set", for the list's bulk bar."""
        return [self[name] for name in SET_FIELDS]

    def changes(self):
        """For "set": the fields filled in (an empty one is left as each flow has it)."""
        if self.cleaned_data.get("action") != BulkJob.Action.SET:
            return {}
        return {
            name: self.cleaned_data[name]
            for name in SET_FIELDS
            if self.cleaned_data.get(name) not in ("", None)
        }


def too_many(count):
    """Why a job of ``count`` flows cannot start (it is larger than a job may be), or None."""
    if count > settings.JOBS_MAX_ITEMS:
        return gettext("A job can change at most %(max)d flows: narrow the search down.") % {
            "max": settings.JOBS_MAX_ITEMS
        }
    return None


def set_fields_html():
    """The list's bulk bar's "set" inputs: the same on every page in a language, so drawn once
    per language and process. Through Django's widget templates these five inputs cost 11.6 ms of
    each list page, drawn after the flows' answer; the bulk bar now takes 0.9 ms (measured on a
    loaded machine, docs/BENCHMARKS.md, round 4)."""
    return _set_fields_html(get_language())


@functools.lru_cache(maxsize=16)
def _set_fields_html(language):
    return render_to_string("flows/bulk_bar.html#set_fields", {"bulk_form": BulkForm()})


class ImportForm(forms.Form):
    """A file of flows exported by Pushdeck (flows_app/transfer.py) and the website it goes to.
    A file that cannot be read at all is the file field's error; the problems of its flows, one
    per flow and field, are kept on ``found`` for the page to list."""

    file = forms.FileField(label=_("File of flows"))
    website = forms.TypedChoiceField(label=_("To the website"), coerce=int)

    def __init__(self, *args, directory, **kwargs):
        super().__init__(*args, **kwargs)
        self.found = None
        self.read = b""
        self.fields["website"].choices = [(site.id, site.name or site.address) for site in directory.websites]
        self.fields["website"].widget.attrs["translate"] = "no"
        self.fields["file"].help_text = _(
            "At most %(size)s and %(count)d flows; each image within the limits of any upload."
        ) % {"size": filesizeformat(settings.IMPORT_MAX_BYTES), "count": settings.IMPORT_MAX_FLOWS}
        self.fields["file"].widget.attrs["accept"] = "application/json,.json"

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        try:
            # The size first: beyond the upload handler's room the bytes were counted, not kept.
            transfer.check_size(uploaded.size)
            self.read = uploaded.read()
            self.found = transfer.read(self.read)
        except transfer.Problem as problem:
            raise forms.ValidationError(str(problem)) from None
        return uploaded
