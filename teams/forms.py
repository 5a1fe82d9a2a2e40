from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from flows_app.untranslated import with_names
from teams.models import Kind, Role


class WebsitesField(forms.CharField):
    """Website ids typed as "3, 7"; empty means every website of the connection."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Limited to websites"),
            required=False,
            max_length=200,
            help_text=_("Website numbers separated by commas, e.g. 3, 7. Empty: every website."),
            widget=forms.TextInput(attrs={"placeholder": _("every website"), "inputmode": "numeric"}),
            **kwargs,
        )

    def prepare_value(self, value):
        return ", ".join(map(str, value)) if isinstance(value, list) else value

    def to_python(self, value):
        parts = [part.strip().lstrip("#") for part in (value or "").replace(" ", ",").split(",")]
        numbers = [part for part in parts if part]
        if not all(part.isdecimal() and int(part) > 0 for part in numbers):
            raise forms.ValidationError(_("Enter website numbers only, separated by commas, e.g. 3, 7."))
        return sorted({int(part) for part in numbers})


class AccessForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)
    websites = WebsitesField()


class MemberForm(AccessForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    field_order = ["username", "role", "websites"]

    def __init__(self, *args, connection, **kwargs):
        self.connection = connection
        super().__init__(*args, **kwargs)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username__iexact=username).first()
        if user is None:
            raise forms.ValidationError(
                with_names(
                    _("No account is called “%(name)s”. Invite them with a link instead."), name=username
                )
            )
        if self.connection.memberships.filter(user=user).exists():
            raise forms.ValidationError(
                with_names(_("%(name)s is already a member."), name=user.get_username())
            )
        self.user = user
        return username


class InvitationForm(AccessForm):
    note = forms.CharField(
        label=_("For"), max_length=100, required=False, help_text=_("A name or email, to recognise it later.")
    )


class JoinForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)


class ActivityFilter(forms.Form):
    """The connection history's filters; a bad value is ignored rather than an error page."""

    # The people are named by their usernames, which no language translates.
    person = forms.TypedChoiceField(
        label=_("Person"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"translate": "no"}),
    )
    flow = forms.IntegerField(label=_("Flow #"), required=False, min_value=1)
    website = forms.IntegerField(label=_("Website #"), required=False, min_value=1)
    kind = forms.ChoiceField(
        label=_("Change"), required=False, choices=[("", _("Every change")), *Kind.choices]
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("Everyone")), *people]

    def filtered(self, entries):
        if not self.is_valid():
            return entries
        data = self.cleaned_data
        lookups = {
            "user_id": data["person"],
            "flow_id": data["flow"],
            "website_id": data["website"],
            "kind": data["kind"],
        }
        return entries.filter(**{name: value for name, value in lookups.items() if value not in (None, "")})
