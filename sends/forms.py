"""What a test send takes: the subscriber it goes to, and from the flow form its message as typed
and not yet saved; and a test device's label."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from flows_app.fields import FLOW_FIELDS
from flows_app.forms import FlowForm

# The flow form's fields a test sends, or that say how it is delivered: all but the timing and the
# audience, which are the flow's, not the test's; with the image's three.
MESSAGE_FIELDS = set(FLOW_FIELDS) - {"wait_time", "wait_time_type", "segment", "is_enabled"} | {
    "image",
    "image_token",
    "image_remove",
}


class UnsavedMessageForm(FlowForm):
    """The flow form's message with the flow form's own rules: what a test sends is what a save
    would keep. The rest of the form (timing, audience) is the flow's, not the test's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in set(self.fields) - MESSAGE_FIELDS:
            del self.fields[name]
        # A new flow's name may still be blank: the test is named after its title then.
        self.fields["name"].required = False

    def values(self):
        return {name: self.cleaned_data.get(name) for name in self.fields}

    def problems(self):
        """Each error as one line naming its field: the fields are on the flow form around."""
        lines = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            lines += [f"{label}: {error}" if label else error for error in errors]
        return lines


class RecipientForm(forms.Form):
    subscriber_id = forms.IntegerField(
        label=gettext_lazy("Send to"),
        min_value=1,
        error_messages={
            "required": gettext_lazy("Choose a test device or a subscriber to send the test to."),
            "invalid": gettext_lazy("A subscriber is named by their number."),
            "min_value": gettext_lazy("A subscriber is named by their number."),
        },
    )


class DeviceForm(forms.Form):
    website_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    subscriber_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    label = forms.CharField(
        label=gettext_lazy("Label"),
        max_length=64,
        error_messages={
            "required": gettext_lazy("Give the device a name you will recognise, e.g. “my Chrome at work”.")
        },
    )

    def clean_label(self):
        label = self.cleaned_data["label"].strip()
        if not label:
            raise forms.ValidationError(
                _("Give the device a name you will recognise, e.g. “my Chrome at work”.")
            )
        return label
