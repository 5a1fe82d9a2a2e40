from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from activity.models import Kind
from flows_app.models import Role
from flows_app.untranslated import with_names
from teams.grants import grant_refusal, member_refusal


class WebsitesField(forms.TypedMultipleChoiceField):
    """The connection's websites a member is limited to, ticked by name; none ticked means every
    website of the connection."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Limited to websites"),
            required=False,
            coerce=int,
            help_text=_("None ticked: every website."),
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )

    def clean(self, value):
        return sorted(set(super().clean(value)))


def website_choices(directory, allowed=()):
    """The websites a member can be limited to: those of the connection, by name, and any already
    allowed that the directory does not name (it could not be read, or the website is gone) as
    "#id", so that saving the member's role keeps them."""
    known = [site.id for site in directory.websites]
    return [(number, directory.website_name(number)) for number in known + sorted(set(allowed) - set(known))]


class AccessForm(forms.Form):
    """A role and websites to grant, as far as ``admin`` (the Access of the admin granting them)
    may grant them (teams.grants)."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)
    websites = WebsitesField()

    def __init__(self, *args, websites, admin, **kwargs):
        super().__init__(*args, **kwargs)
        self.admin = admin
        self.fields["websites"].choices = websites
        if admin.limited:
            self.fields["websites"].help_text = _("Tick at least one: you may grant only your own websites.")

    def clean_websites(self):
        websites = self.cleaned_data["websites"]
        names = dict(self.fields["websites"].choices)
        refusal = grant_refusal(self.admin, websites, lambda number: names.get(number, f"#{number}"))
        if refusal:
            raise forms.ValidationError(refusal)
        return websites


class MemberAccessForm(AccessForm):
    """A member's row: their new role and websites, if ``user`` (the admin) may change theirs."""

    def __init__(self, *args, member, user, **kwargs):
        self.member, self.user = member, user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if "role" in data and "websites" in data:
            refusal = member_refusal(
                self.member.connection, self.admin, self.user, self.member, data["role"], data["websites"]
            )
            if refusal:
                raise forms.ValidationError(refusal)
        return data


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
    # No longer than the note, which keeps it when none is given.
    email = forms.EmailField(
        label=_("E-mail it to"),
        max_length=100,
        required=False,
        help_text=_("Pushdeck sends the link to this address; it is shown here to copy as well."),
    )

    def __init__(self, *args, **kwargs):
        # Beside the form adding a member on one page: its boxes' labels must tick its own boxes.
        super().__init__(*args, auto_id="invitation-%s", **kwargs)


class GroupRoleForm(AccessForm):
    group = forms.CharField(
        label=_("Group"),
        max_length=200,
        help_text=_("As the identity provider names it in the groups of someone signing in."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="group-%s", **kwargs)


class JoinForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)


def _named_choice(label):
    # Chosen among the people, flows and websites of the entries, by their names, which no
    # language translates.
    return forms.TypedChoiceField(
        label=label,
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"translate": "no"}),
    )


class ActivityFilter(forms.Form):
    """The connection history's filters; a bad value is ignored rather than an error page."""

    person = _named_choice(_("Person"))
    flow = _named_choice(_("Flow"))
    website = _named_choice(_("Website"))
    kind = forms.ChoiceField(
        label=_("Change"), required=False, choices=[("", _("Every change")), *Kind.choices]
    )

    def __init__(self, *args, people, flows, websites, **kwargs):
        """``people``, ``flows`` and ``websites``: (id, name) pairs of those the entries have."""
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("Everyone")), *people]
        self.fields["flow"].choices = [("", _("Every flow")), *flows]
        self.fields["website"].choices = [("", _("Every website")), *websites]

    def filtered(self, entries):
        # A filter that no longer fits (a flow pruned since a link was shared) is left out; the
        # others still apply: cleaned_data holds every field that is valid.
        self.is_valid()
        data = self.cleaned_data
        lookups = {
            "user_id": data.get("person"),
            "flow_id": data.get("flow"),
            "website_id": data.get("website"),
            "kind": data.get("kind"),
        }
        return entries.filter(**{name: value for name, value in lookups.items() if value not in (None, "")})
