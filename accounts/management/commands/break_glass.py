from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from accounts.breakglass import LINK_MINUTES, make_token


class Command(BaseCommand):
    help = (
        "Print a one-use sign-in link for an account, for the server's operator when the identity "
        "provider is down or password sign-in is off (PASSWORD_LOGIN=0)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--base-url", default="", help="The site's address, e.g. https://pushdeck.example.com"
        )

    def handle(self, username, base_url, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active account is named {username!r}.")
        path = reverse("break_glass", args=[make_token(user)])
        self.stdout.write(f"{base_url.rstrip('/')}{path}")
        self.stderr.write(f"It signs {username} in once, within {LINK_MINUTES} minutes. Keep it to yourself.")
