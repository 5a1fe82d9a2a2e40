"""Test sends: a person's test devices (the website's subscribers page), a flow's message sent to
one of them as a personal notification, and that push followed in the logs until it arrived."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from activity.history import record
from activity.models import Kind
from flows_app.access import EDITOR, flows_api
from flows_app.api import ApiError, NotFound, WrongSubscriber
from flows_app.create_tokens import CreateTokens
from flows_app.failures import describe
from flows_app.fields import flow_values
from flows_app.images import copy_image
from flows_app.models import SANDBOX
from flows_app.partials import template_for
from sends import follow, subscribers
from sends.content import ignored_delivery, notification_fields
from sends.forms import DeviceForm, RecipientForm, UnsavedMessageForm
from sends.models import TestDevice, TestSend

# Subscribers offered in the test form after the person's test devices.
OFFERED = 50


def _tokens(request):
    return CreateTokens(request.user, "test-send")


def _website(api, flow, asked):
    """The website a test goes to: the form's (a new or edited flow's, unsaved), else the flow's."""
    directory = api.directory()
    try:
        website = directory.website(int(asked))
    except (TypeError, ValueError):
        website = None
    if website is None and flow is not None:
        website = directory.website(flow.website_id)
    if website is None and flow is None and directory.websites:
        website = directory.websites[0]
    return website


@login_required
@require_GET
def subscriber_list(request, connection_id):
    connection, api = flows_api(request, connection_id, EDITOR)
    return _subscribers_page(request, connection, api, request.GET.get("website_id"))


def _subscribers_page(request, connection, api, website_id, form=None, status=200):
    website = _website(api, None, website_id)
    query, recent = request.GET.get("q", "").strip(), request.GET.get("recent") == "1"
    found, more, failure = [], False, None
    if website:
        try:
            found, more = subscribers.of_website(api, website.id)
        except ApiError as error:
            failure = describe(error, connection)
    since = subscribers.server_now(api.directory()) - subscribers.RECENT if recent else None
    devices = {device.subscriber_id: device for device in _devices(request, connection, website)}
    context = {
        "connection": connection,
        "websites": api.directory().websites,
        "website": website,
        "rows": [(item, devices.get(item.id)) for item in subscribers.matching(found, query, since)],
        "more": more,
        "read_at_most": subscribers.READ_AT_MOST,
        "query": query,
        "recent": recent,
        "form": form,
        "failure": failure,
        "this_browser": _this_browser(connection, website),
    }
    return render(request, "sends/subscribers.html", context, status=status)


def _devices(request, connection, website):
    if website is None:
        return TestDevice.objects.none()
    return TestDevice.objects.filter(user=request.user, connection=connection, website_id=website.id)


def _this_browser(connection, website):
    """The sandbox's own page that subscribes the browser opening it (a website's pixel, played)."""
    if connection.server != SANDBOX or not website or not website.pixel_key:
        return ""
    return f"{connection.base_url}/pixel/{website.pixel_key}/"


@login_required
@require_POST
def device_add(request, connection_id):
    connection, api = flows_api(request, connection_id, EDITOR)
    form = DeviceForm(request.POST)
    found = form.is_valid() and _checked_subscriber(request, connection, api, form)
    if not found:
        return _subscribers_page(request, connection, api, form.data.get("website_id"), form, status=400)
    TestDevice.objects.update_or_create(
        user=request.user,
        connection=connection,
        subscriber_id=found.id,
        defaults={"website_id": found.website_id, "label": form.cleaned_data["label"]},
    )
    messages.success(
        request, _("“%(label)s” is one of your test devices.") % {"label": form.cleaned_data["label"]}
    )
    return _back_to_list(connection, found.website_id)


def _checked_subscriber(request, connection, api, form):
    """The subscriber the form names while still one of the website's, which the person may use
    (one call); else None, the form saying why."""
    website_id = form.cleaned_data["website_id"]
    if not request.access.sees(website_id):
        form.add_error(None, _("You may only use subscribers of the websites you were given."))
        return None
    try:
        found = api.get_subscriber(form.cleaned_data["subscriber_id"], fresh=True)
    except NotFound:
        found = None
    except ApiError as error:
        form.add_error(None, describe(error, connection).summary)
        return None
    if found is None or found.website_id != website_id:
        form.add_error(None, _("This subscriber is no longer one of the website's subscribers."))
        return None
    return found


@login_required
@require_POST
def device_remove(request, device_id):
    device = get_object_or_404(TestDevice, pk=device_id, user=request.user)
    connection, _api = flows_api(request, device.connection_id, EDITOR)
    device.delete()
    messages.success(
        request, _("“%(label)s” is no longer one of your test devices.") % {"label": device.label}
    )
    return _back_to_list(connection, device.website_id)


def _back_to_list(connection, website_id):
    return redirect(f"{reverse('sends:subscribers', args=[connection.pk])}?website_id={int(website_id)}")


@login_required
@require_http_methods(["GET", "POST"])
def test_send(request, connection_id, flow_id=None):
    """A flow's test: the form (GET), the push (POST). Without a flow id (the create form), or with
    the flow form's fields (the edit form), the message typed and not yet saved is what is sent."""
    connection, api = flows_api(request, connection_id, EDITOR)
    if request.method == "POST":
        return _send(request, connection, api, flow_id)
    flow = api.get_flow(flow_id) if flow_id else None
    website = _website(api, flow, request.GET.get("website_id"))
    # The edit and create forms say their own ttl and urgency, typed or not yet saved.
    delivery = flow.settings if flow and "ttl" not in request.GET else None
    context = {
        "connection": connection,
        "flow": flow,
        "website": website,
        "within_form": request.GET.get("within") == "form",
        "recipients": _recipients(request, connection, api, website),
        "send_token": _tokens(request).issue(),
        "ignored_delivery": ignored_delivery(
            delivery.ttl if delivery else request.GET.get("ttl"),
            delivery.urgency if delivery else request.GET.get("urgency"),
        ),
    }
    return render(request, template_for(request, "sends/test.html", "test_form"), context)


def _recipients(request, connection, api, website):
    """The person's test devices of the website first, then its newest other subscribers."""
    if website is None:
        return [], []
    devices = list(_devices(request, connection, website))
    mine = {device.subscriber_id for device in devices}
    try:
        found, _more = subscribers.of_website(api, website.id, pages=1)
    except ApiError:
        # The devices alone still make a test: the others are a convenience.
        found = []
    return devices, [item for item in found if item.id not in mine][:OFFERED]


def _send(request, connection, api, flow_id):
    token = request.POST.get("send_token", "")
    tokens = _tokens(request)
    if done := tokens.flow_of(token):
        # The same button clicked twice: the first click sent it; this one follows it.
        return _following(request, connection, get_object_or_404(TestSend, pk=done, user=request.user))
    message, problems = _message(request, connection, api, flow_id)
    recipient = RecipientForm(request.POST)
    if not recipient.is_valid():
        problems += recipient.errors["subscriber_id"]
    if problems:
        return _refused(request, connection, flow_id, problems)
    flow, values, website_id, image = message
    if not tokens.claim(token):
        if tokens.issued(token):
            return _refused(request, connection, flow_id, [_("This test is already on its way.")], status=409)
        return _refused(
            request, connection, flow_id, [_("This test form was open for too long: open it again.")]
        )
    subscriber_id = recipient.cleaned_data["subscriber_id"]
    try:
        sent = api.send_personal_notification(notification_fields(values, website_id, subscriber_id), image)
    except ApiError as error:
        tokens.release(token)
        return _refused(request, connection, flow_id, [_send_failed(error, connection, subscriber_id)])
    # The history names a flow by its saved name, whatever the edit form held unsaved.
    name = flow.name if flow else values.get("name") or values.get("title")
    send = _kept(request, connection, flow_id, name, website_id, subscriber_id, sent.id)
    tokens.finish(token, send.pk)
    return _following(request, connection, send)


def _kept(request, connection, flow_id, name, website_id, subscriber_id, notification_id):
    """The test as Pushdeck follows it until its record is deleted, and its entry in the history."""
    label = (
        TestDevice.objects.filter(user=request.user, connection=connection, subscriber_id=subscriber_id)
        .values_list("label", flat=True)
        .first()
        or ""
    )
    send = TestSend.objects.create(
        user=request.user,
        connection=connection,
        flow_id=flow_id,
        website_id=website_id,
        subscriber_id=subscriber_id,
        device_label=label,
        notification_id=notification_id,
    )
    after = {"name": name, "website_id": website_id}
    after |= {"test_device": label or _("subscriber #%(id)s") % {"id": subscriber_id}}
    record(request.user, connection, Kind.TEST_SEND, flow_id=flow_id, after=after)
    return send


def _message(request, connection, api, flow_id):
    """(the flow or None, values, website id, image) of what the test sends, and the problems
    that stop it."""
    try:
        flow = api.get_flow(flow_id) if flow_id else None
    except NotFound:
        return None, [_("This flow is not one of this connection's flows (it may have been deleted).")]
    if "title" not in request.POST:
        # The flow's page: the flow as it is saved, its image fetched again to be sent.
        if flow is None:
            return None, [_("Fill in the new flow's message before sending a test.")]
        image, problem = copy_image(api, flow) if flow.image_url else (None, "")
        if problem:
            return None, [_("The flow's image could not be sent: %(why)s") % {"why": problem}]
        return (flow, flow_values(flow), flow.website_id, image), []
    form = UnsavedMessageForm(
        request.POST, request.FILES, user=request.user, directory=api.directory(), editing=bool(flow)
    )
    if not form.is_valid():
        return None, form.problems()
    values = form.values()
    if not request.access.sees(values["website_id"]):
        return None, [_("You may only send tests to the websites you were given.")]
    image = form.upload
    if image is None and flow and flow.image_url and not form.cleaned_data.get("image_remove"):
        # The edit form keeps the flow's image unless another is chosen or it is removed.
        image, problem = copy_image(api, flow)
        if problem:
            return None, [_("The flow's image could not be sent: %(why)s") % {"why": problem}]
    return (flow, values, values["website_id"], image), []


def _send_failed(error, connection, subscriber_id):
    if isinstance(error, WrongSubscriber):
        return _(
            "Subscriber #%(id)s is not one of this website's subscribers, or no longer subscribed "
            "(their subscription expired or was deleted). Choose another test device."
        ) % {"id": subscriber_id}
    if "limit" in str(error.server_said).lower():
        return _(
            "The plan's limit of personal notifications is reached: the server counts every one it "
            "keeps. Delete old ones in the vendor's dashboard, then send the test again."
        )
    return describe(error, connection).summary


def _refused(request, connection, flow_id, problems, status=400):
    """Why nothing was sent, in the test form's message slot: the form around (the subscriber
    chosen, the flow form's typed values) stays as it is."""
    context = {"connection": connection, "flow_id": flow_id, "problems": problems}
    response = render(request, template_for(request, "sends/test.html", "refused"), context, status=status)
    return reswap(retarget(response, "#test-send-message"), "innerHTML") if request.htmx else response


def _following(request, connection, send, failure=None):
    # Sent from a flow form ("title" among its fields), or polled from one: the next test is too.
    within_form = "title" in request.POST or request.GET.get("within") == "form"
    context = {
        "connection": connection,
        "send": send,
        "failure": failure,
        "within_form": within_form,
        "first_poll": follow.FIRST_POLL_SECONDS,
        "poll": follow.POLL_SECONDS,
    }
    return render(request, template_for(request, "sends/test.html", "follow"), context)


@login_required
@require_GET
def test_status(request, send_id):
    """The test's outcome so far, read anew while the page follows it (htmx polls this)."""
    send = get_object_or_404(TestSend, pk=send_id, user=request.user)
    connection, api = flows_api(request, send.connection_id, EDITOR)
    failure = None
    if send.cleaned_at is None:
        try:
            follow.advance(api, send, now=timezone.now())
        except ApiError as error:
            # The budget or the server said no this time: the page asks again at the next poll.
            failure = describe(error, connection)
    return _following(request, connection, send, failure)
