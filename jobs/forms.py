import functools

from django import forms
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

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
    action = forms.ChoiceField(choices=BulkJob.Action.choices)
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


def set_fields_html():
    """The list's bulk bar's "set" inputs: the same on every page in a language, so drawn once
    per language and process. Through Django's widget templates these five inputs cost 11.6 ms of
    each list page, drawn after the flows' answer; the bulk bar now takes 0.9 ms (measured on a
    loaded machine, docs/BENCHMARKS.md, round 4)."""
    return _set_fields_html(get_language())


@functools.lru_cache(maxsize=16)
def _set_fields_html(language):
    return render_to_string("flows/bulk_bar.html#set_fields", {"bulk_form": BulkForm()})
