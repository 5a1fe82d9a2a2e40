from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy


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
