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
)
from flows_app.api.records import Flow, FlowSettings, ImageUpload, Page, RateBudget
from flows_app.api.service import FlowsService, connect

__all__ = [
    "ApiError",
    "Flow",
    "FlowSettings",
    "FlowsClient",
    "FlowsService",
    "ImageUpload",
    "NotFound",
    "Page",
    "RateBudget",
    "RateLimited",
    "Rejected",
    "TimedOut",
    "Unauthorized",
    "Unavailable",
    "Unexpected",
    "Unreachable",
    "connect",
]
