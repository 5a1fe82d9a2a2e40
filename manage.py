#!/usr/bin/env python
import os
import sys

from dashboard import local_env

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    local_env.load()
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    # Settings that cannot be used are one line saying what to do, not a traceback.
    try:
        settings.INSTALLED_APPS  # noqa: B018 -- reading a setting loads them all
    except ImproperlyConfigured as error:
        sys.exit(f"Pushdeck cannot start: {error}")
    execute_from_command_line(sys.argv)
