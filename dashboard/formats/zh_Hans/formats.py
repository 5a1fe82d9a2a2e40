"""Simplified Chinese formats: Django's own, with numbers grouped in thousands by commas as CLDR
(and every Chinese dashboard) writes them: 12,345 rather than Django's ungrouped 12345."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403 -- the dates and inputs stay Django's

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
