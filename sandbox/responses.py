"""The bodies the server answers with besides a flow: its error shape and its image-error shape."""

from django.http import JsonResponse

NO_BEARER = "The Authorization header with a Bearer API key is missing."
NO_ACCESS = "You do not have access to the API."
NOT_FOUND = "The resource was not found."
RATE_LIMITED = "You reached the limit of requests in one minute, please wait."
FLOW_LIMIT = "The plan's flow limit was reached."


def error(message, status, status_field=None):
    """The error body of API_CONTRACT.md ("Errors"); status_field when the server spells it oddly."""
    body = {"errors": [{"title": message, "status": status if status_field is None else status_field}]}
    return JsonResponse(body, status=status)


def image_error(message):
    # API_CONTRACT.md ("Image errors"): a rejected image answers HTTP 200 with another shape.
    return JsonResponse({"message": [message], "status": "error", "details": []})
