"""The bodies the server answers with besides a record: its error shape, its image-error shape and
the page a PHP fatal error prints."""

from django.http import HttpResponse, JsonResponse

NO_BEARER = "The Authorization header with a Bearer API key is missing."
NO_ACCESS = "You do not have access to the API."
NOT_FOUND = "The resource was not found."
RATE_LIMITED = "You reached the limit of requests in one minute, please wait."
FLOW_LIMIT = "The plan's flow limit was reached."
# The personal notifications' create (API_CONTRACT.md, "POST /api/personal-notifications").
MISSING_FIELDS = "You must fill all the required fields."
PERSONAL_LIMIT = "The plan's personal notifications limit was reached."
WRONG_SUBSCRIBER = "The subscriber ID entered is incorrect."


def error(message, status, status_field=None):
    """The error body of API_CONTRACT.md ("Errors"); status_field when the server spells it oddly."""
    body = {"errors": [{"title": message, "status": status if status_field is None else status_field}]}
    return JsonResponse(body, status=status)


def image_error(message):
    # API_CONTRACT.md ("Image errors"): a rejected image answers HTTP 200 with another shape.
    return JsonResponse({"message": [message], "status": "error", "details": []})


def server_error():
    """What a broken route of the server answers (e.g. updating a personal notification in v18)."""
    body = "<br />\n<b>Fatal error</b>:  Uncaught TypeError in <b>/var/www/app/controllers/api/ApiPersonalNotifications.php</b>"
    return HttpResponse(body, status=500, content_type="text/html; charset=UTF-8")
