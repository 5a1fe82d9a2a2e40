"""Flows as CSV that opens cleanly in a spreadsheet: UTF-8 with a byte-order mark (Excel reads
the file as UTF-8 only with it), and no cell that a spreadsheet would run as a formula."""

import csv

from django.utils.translation import gettext as _

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


class _Line:
    """A file-like object whose write() hands back the line: csv.writer then formats one row at a time."""

    def write(self, line):
        return line


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # A leading apostrophe makes the cell text; the value stays readable.
        return f"'{value}"
    return value


def _rate(rate):
    # A number a spreadsheet reads as a percentage; empty when nothing was displayed.
    return "" if rate is None else f"{rate * 100:.2f}%"


def _when(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def csv_lines(flows, directory):
    """The CSV, line by line (for a streamed answer): a header, then one line per flow."""
    writer = csv.writer(_Line())
    zone = directory.timezone or _("server time")
    header = [
        "id", _("name"), _("website"), _("website id"), _("segment"), _("enabled"), _("title"),
        _("description"), _("url"), _("image url"), _("wait"), _("wait unit"), _("sent"), _("displayed"),
        _("clicked"), _("closed"), _("click rate (clicked / displayed)"),
        _("last sent (%(zone)s)") % {"zone": zone}, _("created (%(zone)s)") % {"zone": zone},
        _("ttl seconds"), _("urgency"), _("silent"), _("auto hide"), _("button 1 text"), _("button 1 url"),
        _("button 2 text"), _("button 2 url"), _("utm source"), _("utm medium"), _("utm campaign"),
    ]  # fmt: skip
    yield BOM + writer.writerow(header)
    for flow in flows:
        s = flow.settings
        row = [
            flow.id, flow.name, directory.website_label(flow.website_id), flow.website_id,
            directory.segment_label(flow.website_id, flow.segment), int(flow.is_enabled), flow.title,
            flow.description, flow.url, flow.image_url, flow.wait_time, flow.wait_time_type, flow.total_sent,
            flow.total_displayed, flow.total_clicked, flow.total_closed, _rate(flow.click_rate),
            _when(flow.last_sent_datetime), _when(flow.datetime), s.ttl, s.urgency, int(s.is_silent),
            int(s.is_auto_hide), s.button_title_1, s.button_url_1, s.button_title_2, s.button_url_2,
            s.utm_source, s.utm_medium, s.utm_campaign,
        ]  # fmt: skip
        yield writer.writerow([_cell(value) for value in row])
