"""The worker's periodic work of test sends (found by jobs' autodiscovery of tasks.py): the
records of tests whose page was closed before their outcome was read are read and deleted, so
that they do not use up the plan's personal-notification limit."""

import logging
from functools import partial

from flows_app.api import ApiError, connect
from flows_app.api.budget import MustWait
from flows_app.crypto import DecryptionError
from jobs.periodic import every
from sends.follow import advance, unfollowed

logger = logging.getLogger(__name__)

# Background work takes what people leave of the key's minute; a test waits for the next one
# rather than hold the worker.
MAX_WAIT_SECONDS = 5


@every(minutes=1)
def clean_test_sends():
    for send in unfollowed().select_related("connection"):
        try:
            api = connect(send.connection, background=True)
            advance(api, send, partial(api.pacer.call, max_wait=MAX_WAIT_SECONDS))
        except MustWait:
            return
        except (ApiError, DecryptionError) as error:
            # Tried again next minute: the record is only gone once the server said so.
            logger.warning("test send %s not cleaned: %s", send.pk, error)
