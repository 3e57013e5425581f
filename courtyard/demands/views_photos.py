"""A demand's photos, streamed from MEDIA_ROOT to those who may see the demand in full —
never served as public media. Forbidden, missing, or a file gone from the disk: 404 alike."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from courtyard.core.http import AuthedRequest
from courtyard.demands.models import DemandPhoto


def _stream(request: AuthedRequest, pk: int, *, thumbnail: bool) -> FileResponse:
    photo = get_object_or_404(DemandPhoto.objects.visible_to(request.user), pk=pk)
    name = (photo.thumbnail if thumbnail else photo.file).name
    if not name:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=photo.content_type)
    # Personal: no shared cache keeps it; the browser may, briefly.
    response["Cache-Control"] = "private, no-store"  # not left on a shared computer
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def photo(request: AuthedRequest, pk: int) -> FileResponse:
    """One photo, as stored (re-encoded, without EXIF)."""
    return _stream(request, pk, thumbnail=False)


@login_required
@require_GET
def photo_thumbnail(request: AuthedRequest, pk: int) -> FileResponse:
    """The photo's thumbnail (at most 320 pixels a side), for the demand's page."""
    return _stream(request, pk, thumbnail=True)
