"""Photos at intake: checked by their content, re-encoded, stored under a random name.

Invariants:
- A file is a photo because Pillow decodes it as JPEG, PNG or WebP — never because of its
  name or the content type the browser sent. Anything else is refused with one sentence.
- What is stored is a fresh encoding of the pixels only: no EXIF (a phone writes the GPS
  position, the time and the camera's serial there), no XMP, no text chunks, no colour
  profile. The orientation EXIF asked for is applied to the pixels first, so the photo
  still stands upright.
- Files are stored under MEDIA_ROOT with a random name (`demand-photos/YYYY/MM/<hex>.jpg`)
  and served only by `demands:photo` (views_photos) to those who may see the demand.
- Photos come with the demand in one step (`submit_demand(photos=…)`): every file is
  checked before anything is written; files written during the transaction are removed
  when the submission fails after writing them. A rollback of a transaction *around*
  `submit_demand` after it returned would leave its files behind (no caller does that:
  every page and API call makes `submit_demand` its outermost transaction).

The JSON API (`api/v1/demands`) and Open311 take no photos: they are raised on the web
form, by the resident or by staff recording on someone's behalf.
"""

from __future__ import annotations

import contextlib
import io
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from courtyard.core.errors import BadInput
from courtyard.demands.conf import demand_settings
from courtyard.demands.models import Demand, DemandPhoto

# Pillow's format name → (content type, file extension). Nothing else is accepted.
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
ACCEPT = ",".join(content_type for content_type, _ext in FORMATS.values())
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
WEBP_QUALITY = 80
FIELD = "photos"


@dataclass(frozen=True)
class Encoded:
    content: bytes
    width: int
    height: int


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo that passed the checks, re-encoded and ready to store."""

    content_type: str
    extension: str
    photo: Encoded
    thumbnail: Encoded


# ── The form field ──────────────────────────────────────────────────────────────────────


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files in one <input type="file" multiple>: cleans to a list (maybe empty).
    Only the count is checked here; the content is the action's (`check_photos`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(PhotosField, self).clean(item, initial) for item in files]
        cleaned = [item for item in cleaned if item]
        limit = demand_settings().photos_max
        if len(cleaned) > limit:
            raise forms.ValidationError(too_many(limit))
        return cleaned


def photos_field() -> PhotosField:
    """The field, made when a form is made (the numbers are the configured ones, the text
    in the request's language)."""
    config = demand_settings()
    return PhotosField(
        label=_("Photos (optional)"),
        help_text=_(
            "Up to %(n)d photos, JPEG, PNG or WebP, at most %(size)s each. Their location "
            "data is removed before they are stored. If the form comes back, choose them again."
        )
        % {"n": config.photos_max, "size": filesizeformat(config.photo_max_bytes)},
    )


def too_many(limit: int) -> str:
    return _("Attach at most %(n)d photos.") % {"n": limit}


# ── Checking and re-encoding ────────────────────────────────────────────────────────────


def _not_a_photo() -> BadInput:
    return BadInput(_("This file is not a photo (JPEG, PNG or WebP)."), field=FIELD)


def _plain(image: Image.Image, fmt: str) -> Image.Image:
    """The pixels alone, in a mode the format stores: a new image with no `info` at all
    (EXIF, XMP, ICC, PNG text), so that the encoder has nothing to copy."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if fmt == "JPEG":
        mode = "L" if image.mode == "L" else "RGB"
    elif image.mode in ("L", "RGB", "RGBA") and not (fmt == "WEBP" and image.mode == "L"):
        mode = image.mode
    else:
        mode = "RGBA" if has_alpha else "RGB"
    converted = image if image.mode == mode else image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image, fmt: str) -> Encoded:
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        options = {"quality": JPEG_QUALITY, "optimize": True}
    elif fmt == "WEBP":
        options = {"quality": WEBP_QUALITY}
    else:
        options = {"optimize": True}
    image.save(out, format=fmt, **options)
    return Encoded(out.getvalue(), image.width, image.height)


def check_photo(upload: UploadedFile) -> CheckedPhoto:
    """Check one uploaded file by its content and re-encode it (see the module's
    invariants). Raises BadInput with one sentence for a person."""
    config = demand_settings()
    too_large = BadInput(
        _("This photo is larger than %(size)s.") % {"size": filesizeformat(config.photo_max_bytes)},
        field=FIELD,
    )
    if upload.size is None or upload.size > config.photo_max_bytes:
        raise too_large
    upload.seek(0)
    data = upload.read(config.photo_max_bytes + 1)
    if len(data) > config.photo_max_bytes:  # a size that lied
        raise too_large
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                fmt = str(probe.format)
                width, height = probe.size
                if width * height > config.photo_max_pixels:
                    raise BadInput(_("This photo has too many pixels."), field=FIELD)
                probe.verify()  # the whole file, not only its header
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                # A JPEG decodes straight to a smaller scale when it is larger than kept.
                side = config.photo_max_side
                image.draft("RGB", (side, side))
                image.load()
                upright = ImageOps.exif_transpose(image)
    except BadInput:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,  # Pillow's verify() raises it for some broken files
        ValueError,
        EOFError,
    ) as exc:
        raise _not_a_photo() from exc
    if fmt not in FORMATS:
        raise _not_a_photo()
    plain = _plain(upright, fmt)
    side = config.photo_max_side
    if plain.width > side or plain.height > side:
        plain.thumbnail((side, side), Image.Resampling.LANCZOS)
    small = plain.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    content_type, extension = FORMATS[fmt]
    return CheckedPhoto(content_type, extension, _encode(plain, fmt), _encode(small, fmt))


def check_photos(uploads: Sequence[UploadedFile]) -> list[CheckedPhoto]:
    """Check every file before anything is written (one bad file refuses them all)."""
    limit = demand_settings().photos_max
    if len(uploads) > limit:
        raise BadInput(too_many(limit), field=FIELD)
    return [check_photo(upload) for upload in uploads]


# ── Storing ─────────────────────────────────────────────────────────────────────────────


def remove_files(names: Sequence[str]) -> None:
    for name in names:
        # Already gone, or the disk refuses: there is nothing more to do about it here.
        with contextlib.suppress(OSError):
            default_storage.delete(name)


def store_photos(demand: Demand, checked: Sequence[CheckedPhoto], *, by: Any) -> list[DemandPhoto]:
    """Write the checked photos under random names and add their rows. Called by
    `submit_demand` inside its transaction, last; if anything here fails, the files it
    wrote are removed before the error goes on (and the transaction rolls back)."""
    if not checked:
        return []
    now = timezone.now()
    folder = f"demand-photos/{now:%Y/%m}"
    written: list[str] = []
    rows = []
    try:
        for photo in checked:
            stem = f"{folder}/{uuid.uuid4().hex}"
            name = default_storage.save(
                f"{stem}.{photo.extension}", ContentFile(photo.photo.content)
            )
            written.append(name)
            thumb = default_storage.save(
                f"{stem}-thumb.{photo.extension}", ContentFile(photo.thumbnail.content)
            )
            written.append(thumb)
            rows.append(
                DemandPhoto(
                    demand=demand,
                    file=name,
                    thumbnail=thumb,
                    content_type=photo.content_type,
                    width=photo.photo.width,
                    height=photo.photo.height,
                    size=len(photo.photo.content),
                    uploaded_by=by if getattr(by, "is_authenticated", False) else None,
                    created_at=now,
                )
            )
        return DemandPhoto.objects.bulk_create(rows)
    except BaseException:
        remove_files(written)
        raise
