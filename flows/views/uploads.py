from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from flows_app.drafts import kept_upload


@login_required
@require_GET
def kept_image(request, token):
    """An image kept after a rejected submit, so that the form can still show it."""
    upload = kept_upload(request.user, token)
    if upload is None:
        raise Http404("This image is no longer kept.")
    response = HttpResponse(upload.content, content_type=upload.content_type)
    response["Cache-Control"] = "private, max-age=900"
    return response
