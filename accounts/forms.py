from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy

from flows_app.access import Access, visible_directory
from flows_app.api.records import Directory
from flows_app.api.service import cached_directory
from flows_app.models import Membership, Role
from flows_app.untranslated import with_names
from teams.forms import website_choices
from teams.grants import grant_refusal
from teams.models import Invitation


class SecondFactorForm(AuthenticateForm):
    """The code asked after the password. django-axes counts a wrong code as a failed sign-in of
    that username from that address, beside the wrong passwords: guessing codes once the password
    is known locks out just as guessing passwords does, and a locked-out person is refused here
    too (the lockout page, from axes' middleware), however right the code."""

    def clean_code(self):
        request = context.request
        credentials = {"username": self.user.get_username()}
        AxesProxyHandler.update_request(request)
        if AxesProxyHandler.is_locked(request, credentials):
            request.axes_locked_out = True
            raise ValidationError(gettext_lazy("Too many attempts."), code="locked")
        try:
            return super().clean_code()
        except ValidationError:
            user_login_failed.send(sender=SecondFactorForm, credentials=credentials, request=request)
            raise


class PeopleInvitationForm(forms.Form):
    """An invitation made on the People page: an account for ``email``, and optionally access to
    a connection ``admin`` (the site admin) administers, no more than they hold there
    (teams.grants). Websites are ticked as "connection-website", named "connection: website"."""

    # As long as the invitation's note, which names it by this address, and the trail's name.
    email = forms.EmailField(
        label=gettext_lazy("E-mail address"),
        max_length=100,
        error_messages={"invalid": gettext_lazy("Enter an e-mail address, such as ana@example.com.")},
        help_text=gettext_lazy("Pushdeck sends the link to this address; it is shown here to copy as well."),
    )
    # The connections' labels are their owners' words: no page translator rewrites them.
    connection = forms.TypedChoiceField(
        label=gettext_lazy("Connection"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"translate": "no"}),
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, initial=Role.VIEWER)
    websites = forms.MultipleChoiceField(
        label=gettext_lazy("Limited to websites"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Of the connection chosen above. None ticked: every website."),
    )

    def __init__(self, *args, admin, **kwargs):
        super().__init__(*args, auto_id="invite-%s", **kwargs)
        # The connections this site admin is an admin of, with what they hold on each.
        self.held = {
            member.connection_id: (member.connection, Access(Role(member.role), frozenset(member.websites)))
            for member in Membership.objects.filter(user=admin, role=Role.ADMIN).select_related("connection")
        }
        self.fields["connection"].choices = [("", gettext_lazy("None: an account only"))] + [
            (number, connection.label) for number, (connection, _access) in self.held.items()
        ]
        self.names = {}
        choices = []
        for number, (connection, access) in self.held.items():
            # The names the flows pages read lately: the page spends no call of the key's budget.
            directory = cached_directory(connection) or Directory()
            if access.limited:
                directory = visible_directory(directory, access.websites)
            sites = website_choices(directory, access.websites)
            self.names[number] = dict(sites)
            choices += [(f"{number}-{site}", f"{connection.label}: {name}") for site, name in sites]
        self.fields["websites"].choices = choices

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        existing = get_user_model().objects.filter(email__iexact=email).first()
        if existing:
            raise ValidationError(
                with_names(
                    gettext(
                        "%(name)s already has an account with this address: add them on a connection's Members page instead."
                    ),
                    name=existing.get_username(),
                )
            )
        if Invitation.objects.pending().filter(email__iexact=email).exists():
            raise ValidationError(
                gettext("An invitation to this address is still pending: revoke it below to send a new one.")
            )
        return email

    def clean(self):
        data = super().clean()
        number, ticked = data.get("connection"), data.get("websites", [])
        if number is None:
            if ticked:
                self.add_error(
                    "websites", gettext("Websites are a connection's: choose the connection, or tick none.")
                )
            return data
        prefix = f"{number}-"
        if any(not value.startswith(prefix) for value in ticked):
            self.add_error("websites", gettext("Tick only websites of the connection chosen."))
            return data
        websites = sorted({int(value.removeprefix(prefix)) for value in ticked})
        names = self.names[number]
        refusal = grant_refusal(self.held[number][1], websites, lambda site: names.get(site, f"#{site}"))
        if refusal:
            self.add_error("websites", refusal)
        data["websites"] = websites
        return data

    def grant(self):
        """The invitation's fields: its connection (or None), role and websites."""
        number = self.cleaned_data["connection"]
        if number is None:
            return {"connection": None}
        return {
            "connection": self.held[number][0],
            "role": self.cleaned_data["role"],
            "websites": self.cleaned_data["websites"],
        }
