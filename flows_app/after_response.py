"""Work a page view leaves until its answer has been sent, so that the user does not wait for it.

Django sends ``request_started`` before a request and ``request_finished`` when the server closes
the response, after its last byte went out. Work queued in between (from the view's thread, or from
a thread that copied its context, as ``FlowsService.in_background`` does) runs then.
"""

import logging
from contextvars import ContextVar

from django.core.signals import request_finished, request_started

logger = logging.getLogger(__name__)

_queue = ContextVar("after_response", default=None)


def after_response(work, *args):
    """``work(*args)`` once the current response has been sent; at once outside a request."""
    queue = _queue.get()
    if queue is None:
        work(*args)
    else:
        queue.append((work, args))


def _open(**kwargs):
    _queue.set([])


def _run(**kwargs):
    queue = _queue.get()
    _queue.set(None)
    for work, args in queue or ():
        try:
            work(*args)
        except Exception:
            # The answer is out: a failure here (a cache server gone) can only be logged.
            logger.exception("work after the response failed")


def connect_signals():
    request_started.connect(_open, dispatch_uid="flows_app.after_response.open")
    request_finished.connect(_run, dispatch_uid="flows_app.after_response.run")
