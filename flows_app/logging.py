"""A logging filter that keeps bearer tokens and API keys out of every log line."""

import logging
import re

_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\"]+")


class RedactSecrets(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        redacted = _BEARER.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
