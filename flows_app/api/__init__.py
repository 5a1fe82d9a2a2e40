"""The flows API, as the dashboard sees it: ``connect(connection)`` and typed records and errors."""

from flows_app.api.client import FlowsClient
from flows_app.api.errors import (
    ApiError,
    NotFound,
    RateLimited,
    Rejected,
    TimedOut,
    Unauthorized,
    Unavailable,
    Unexpected,
    Unreachable,
    WrongSubscriber,
)
from flows_app.api.records import (
    Flow,
    FlowSettings,
    ImageUpload,
    Listing,
    Page,
    PersonalNotification,
    RateBudget,
    Subscriber,
    SubscriberLog,
)
from flows_app.api.service import FlowsService, connect

__all__ = [
    "ApiError",
    "Flow",
    "FlowSettings",
    "FlowsClient",
    "FlowsService",
    "ImageUpload",
    "Listing",
    "NotFound",
    "Page",
    "PersonalNotification",
    "RateBudget",
    "RateLimited",
    "Rejected",
    "Subscriber",
    "SubscriberLog",
    "TimedOut",
    "Unauthorized",
    "Unavailable",
    "Unexpected",
    "Unreachable",
    "WrongSubscriber",
    "connect",
]
