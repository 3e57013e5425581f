"""Photos at intake (demands.photos, views_photos): checked by their content with real tiny
images made here with Pillow, re-encoded without EXIF (no GPS), stored under a random name;
a refused photo stores nothing — no demand, no row, no audit event, no file on disk; the
photo route's permission matrix (every persona, GET and POST) and its fixed query count."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve
from django.utils import translation
from PIL import ExifTags, Image

from conftest import City, Personas
from courtyard.core.errors import BadInput
from courtyard.core.models import AuditEvent
from courtyard.demands import actions, urls_photos
from courtyard.demands.models import Demand, DemandPhoto, Status
from courtyard.demands.photos import check_photo
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demands.tests.matrix import LOGIN, MISSING, PERSONAS, assert_status, statuses
from courtyard.demands.tests.test_pages_resident import advance
from courtyard.people.models import User

NOT_A_PHOTO = "This file is not a photo (JPEG, PNG or WebP)."
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (116.0, 23.0, 50.0),
}


# ── Helpers ─────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """MEDIA_ROOT in a fresh folder of its own: what is on disk is what this test wrote."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def files_in(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (40, 30),
    *,
    mode: str = "RGB",
    gps: bool = False,
    orientation: int | None = None,
    noise: bool = False,
) -> bytes:
    image = Image.new(mode, size, (200, 30, 30, 128)[: len(mode)] if mode != "L" else 128)
    if noise:
        image = Image.frombytes(
            mode, size, bytes((i * 7919) % 251 for i in range(size[0] * size[1] * len(mode)))
        )
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "相机厂商"
    exif[ExifTags.Base.Model] = "Serial 12345"
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def submit(city: City, p: Personas, c: Catalogue, photos: list[Any], **kw: Any) -> Demand:
    return actions.submit_demand(
        by=p.resident,
        channel="web",
        place=city.courtyard,
        category=c.streetlight,
        description="胡同口路灯不亮三天了",
        requester=p.resident,
        photos=photos,
        **kw,
    )


def nothing_stored(root: Path) -> None:
    assert Demand.objects.count() == 0
    assert DemandPhoto.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="submit_demand").exists()
    assert files_in(root) == []


def refused(city: City, p: Personas, c: Catalogue, photos: list[Any]) -> str:
    with translation.override("en"), pytest.raises(BadInput) as caught:
        submit(city, p, c, photos)
    assert caught.value.field == "photos"
    return caught.value.message


# ── Checks by content ───────────────────────────────────────────────────────────────────


def test_a_jpeg_is_stored_re_encoded_without_exif_under_a_random_name(
    city: City, personas: Personas, catalogue: Catalogue, media: Path
) -> None:
    original = image_bytes(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it has GPS

    demand = submit(city, personas, catalogue, [upload(original, name="王秀兰家门口.jpg")])

    photo = DemandPhoto.objects.get(demand=demand)
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 40, 30)
    assert photo.uploaded_by == personas.resident
    # A random name: nothing of the name the file was sent with (which may name a person).
    assert re.fullmatch(r"demand-photos/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", photo.file.name)
    assert photo.thumbnail.name == photo.file.name.replace(".jpg", "-thumb.jpg")
    stored = (media / photo.file.name).read_bytes()
    assert photo.size == len(stored)
    assert b"Exif" not in stored and b"Serial 12345" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    with Image.open(media / photo.thumbnail.name) as thumb:
        assert thumb.size == (40, 30)  # already small: not enlarged
    assert sorted(files_in(media)) == sorted(
        [media / photo.file.name, media / photo.thumbnail.name]
    )
    event = AuditEvent.objects.get(verb="submit_demand", target_id=str(demand.pk))
    assert event.changes["photos"] == [None, 1]


def test_png_and_webp_keep_their_format_whatever_the_name_says(
    city: City, personas: Personas, catalogue: Catalogue, media: Path
) -> None:
    png = upload(image_bytes("PNG", mode="RGBA"), name="a.gif", content_type="image/gif")
    webp = upload(image_bytes("WEBP", gps=True), name="b.jpg", content_type="image/jpeg")

    demand = submit(city, personas, catalogue, [png, webp])

    rows = list(demand.photos.order_by("pk").values_list("content_type", "width", "height"))
    assert rows == [("image/png", 40, 30), ("image/webp", 40, 30)]
    first, second = demand.photos.order_by("pk")
    assert first.file.name.endswith(".png") and second.file.name.endswith(".webp")
    with Image.open(media / first.file.name) as image:
        assert image.mode == "RGBA"  # transparency kept
    with Image.open(media / second.file.name) as image:
        assert dict(image.getexif()) == {}


def test_the_orientation_is_applied_before_exif_is_dropped(media: Path) -> None:
    # EXIF orientation 6: "rotate 90° clockwise to view" — a 40×30 sensor image stands up.
    checked = check_photo(upload(image_bytes(size=(40, 30), orientation=6)))
    assert (checked.photo.width, checked.photo.height) == (30, 40)


def test_a_large_photo_is_scaled_down_and_gets_a_small_thumbnail(
    settings: Any, media: Path
) -> None:
    settings.DEMANDS = {"PHOTO_MAX_SIDE": 100}
    checked = check_photo(upload(image_bytes(size=(400, 200))))
    assert (checked.photo.width, checked.photo.height) == (100, 50)
    assert (checked.thumbnail.width, checked.thumbnail.height) == (100, 50)
    checked = check_photo(upload(image_bytes(size=(1000, 500)), name="x.jpg"))
    assert (checked.photo.width, checked.photo.height) == (100, 50)
    settings.DEMANDS = {}
    checked = check_photo(upload(image_bytes(size=(1000, 500))))
    assert (checked.photo.width, checked.photo.height) == (1000, 500)
    assert (checked.thumbnail.width, checked.thumbnail.height) == (320, 160)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("胡同口路灯不亮，电话13800138000".encode(), id="text-named-jpg"),
        pytest.param(b"", id="empty"),
        pytest.param(image_bytes("GIF", mode="L"), id="gif"),
        pytest.param(image_bytes("BMP"), id="bmp"),
        pytest.param(image_bytes("JPEG", noise=True, size=(64, 64))[:300], id="truncated-jpeg"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="svg"),
    ],
)
def test_anything_but_a_photo_is_refused_and_nothing_is_stored(
    data: bytes, city: City, personas: Personas, catalogue: Catalogue, media: Path
) -> None:
    good = upload(image_bytes())
    message = refused(city, personas, catalogue, [good, upload(data)])
    assert message == NOT_A_PHOTO
    nothing_stored(media)


def test_an_oversize_photo_is_refused(
    settings: Any, city: City, personas: Personas, catalogue: Catalogue, media: Path
) -> None:
    settings.DEMANDS = {"PHOTO_MAX_BYTES": 2000}
    big = image_bytes(size=(200, 200), noise=True)
    assert len(big) > 2000
    assert refused(city, personas, catalogue, [upload(big)]) == (
        "This photo is larger than 2.0\xa0KB."
    )
    nothing_stored(media)


def test_too_many_pixels_and_too_many_photos_are_refused(
    settings: Any, city: City, personas: Personas, catalogue: Catalogue, media: Path
) -> None:
    settings.DEMANDS = {"PHOTO_MAX_PIXELS": 100}
    assert refused(city, personas, catalogue, [upload(image_bytes())]) == (
        "This photo has too many pixels."
    )
    settings.DEMANDS = {}
    four = [upload(image_bytes()) for _ in range(4)]
    assert refused(city, personas, catalogue, four) == "Attach at most 3 photos."
    nothing_stored(media)


def test_files_written_before_a_failure_are_removed(
    city: City, personas: Personas, catalogue: Catalogue, media: Path, monkeypatch: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(DemandPhoto.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        submit(city, personas, catalogue, [upload(image_bytes()), upload(image_bytes("PNG"))])
    nothing_stored(media)


def test_a_retried_submission_stores_its_photos_once(
    city: City, personas: Personas, catalogue: Catalogue, media: Path
) -> None:
    first = submit(city, personas, catalogue, [upload(image_bytes())], idempotency_key="k1")
    again = submit(city, personas, catalogue, [upload(image_bytes())], idempotency_key="k1")
    assert again.pk == first.pk
    assert DemandPhoto.objects.count() == 1 and len(files_in(media)) == 2


# ── The pages: raising with photos, recording with photos, thumbnails ───────────────────


def en_client(user: User | None) -> Client:
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def raise_form(city: City, catalogue: Catalogue, **extra: Any) -> dict[str, Any]:
    return {
        "category": catalogue.water.pk,
        "description": "楼里停水了",
        "where": "other",
        "place_code": city.courtyard.code,
        "idempotency_key": "p" * 32,
        **extra,
    }


def test_a_resident_raises_a_demand_with_photos_and_sees_the_thumbnails(
    city: City, personas: Personas, catalogue: Catalogue, media: Path
) -> None:
    client = en_client(personas.resident)
    page = client.get("/demands/new/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="photos"' in page and "multiple" in page

    response = client.post(
        "/demands/new/",
        raise_form(city, catalogue, photos=[upload(image_bytes()), upload(image_bytes("PNG"))]),
    )

    demand = Demand.objects.get(requester=personas.resident)
    assert response.status_code == 302
    photos = list(demand.photos.order_by("pk"))
    assert len(photos) == 2 and len(files_in(media)) == 4
    detail = client.get(f"/demands/{demand.pk}/").content.decode()
    for photo in photos:
        assert f'href="/demands/photos/{photo.pk}/"' in detail
        assert f'src="/demands/photos/{photo.pk}/thumbnail/"' in detail
    assert str(media) not in detail and photos[0].file.name not in detail


def test_a_text_file_on_the_form_is_refused_with_the_sentence_and_stores_nothing(
    city: City, personas: Personas, catalogue: Catalogue, media: Path
) -> None:
    client = en_client(personas.resident)
    fake = upload(b"not a photo at all", name="fake.jpg")
    response = client.post("/demands/new/", raise_form(city, catalogue, photos=[fake]))
    assert response.status_code == 400
    assert NOT_A_PHOTO in response.content.decode()
    nothing_stored(media)


def test_staff_record_a_demand_with_a_photo(
    city: City, personas: Personas, catalogue: Catalogue, media: Path
) -> None:
    client = en_client(personas.here)
    assert 'enctype="multipart/form-data"' in client.get("/demands/record/").content.decode()
    response = client.post(
        "/demands/record/",
        {
            "channel": "walk_in",
            "requester_name": "王秀兰",
            "place": city.courtyard.code,
            "category": catalogue.water.pk,
            "description": "楼里停水了",
            "key": "a" * 32,
            "photos": [upload(image_bytes(gps=True))],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    photo = DemandPhoto.objects.get()
    assert photo.uploaded_by == personas.here and photo.demand.recorded_by == personas.here
    fake = upload(b"GIF89a but not really", name="x.png", content_type="image/png")
    response = client.post(
        "/demands/record/",
        {
            "channel": "walk_in",
            "place": city.courtyard.code,
            "category": catalogue.water.pk,
            "description": "又停水了",
            "key": "b" * 32,
            "photos": [fake],
        },
    )
    assert response.status_code == 400 and NOT_A_PHOTO in response.content.decode()
    assert Demand.objects.count() == 1 and len(files_in(media)) == 2


# ── The photo route: who may see it ─────────────────────────────────────────────────────


@pytest.fixture
def photo(city: City, personas: Personas, catalogue: Catalogue, media: Path) -> DemandPhoto:
    demand = submit(city, personas, catalogue, [upload(image_bytes())])
    return demand.photos.get()


SUBMITTED = statuses(404, here=200, above=200, resident=200, anonymous=LOGIN)
WITH_UNIT = statuses(404, here=200, above=200, resident=200, handler=200, anonymous=LOGIN)
CASES = [
    # (route, url suffix, method, demand status, expected per persona)
    ("demands:photo", "", "GET", Status.SUBMITTED, SUBMITTED),
    ("demands:photo", "", "GET", Status.DISPATCHED, WITH_UNIT),
    ("demands:photo", "", "POST", Status.SUBMITTED, statuses(405, anonymous=LOGIN)),
    ("demands:photo-thumbnail", "thumbnail/", "GET", Status.SUBMITTED, SUBMITTED),
    ("demands:photo-thumbnail", "thumbnail/", "GET", Status.DISPATCHED, WITH_UNIT),
    ("demands:photo-thumbnail", "thumbnail/", "POST", Status.SUBMITTED,
     statuses(405, anonymous=LOGIN)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("route", "suffix", "method", "status", "expect", "persona"),
    [
        pytest.param(*case, persona, id=f"{case[0]}-{case[2]}-{case[3]}-{persona}")
        for case in CASES
        for persona in PERSONAS
    ],
)
def test_photo_route(
    route: str,
    suffix: str,
    method: str,
    status: str,
    expect: dict[str, Any],
    persona: str,
    photo: DemandPhoto,
    personas: Personas,
    media: Path,
) -> None:
    advance(photo.demand, status, personas)
    user = None if persona == "anonymous" else getattr(personas, persona)
    client = en_client(user)
    url = f"/demands/photos/{photo.pk}/{suffix}"
    response = client.get(url) if method == "GET" else client.post(url)
    assert_status(response, expect[persona])
    if expect[persona] == 200:
        stored = photo.thumbnail if suffix else photo.file
        assert b"".join(response.streaming_content) == (media / stored.name).read_bytes()
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Content-Type-Options"] == "nosniff"
    elif expect[persona] == 404:  # forbidden looks exactly like missing
        missing = client.get(f"/demands/photos/{MISSING}/{suffix}")
        assert missing.status_code == 404
        assert [t.name for t in response.templates][:1] == ["404.html"]


def test_a_photo_whose_file_is_gone_is_missing(
    photo: DemandPhoto, personas: Personas, media: Path
) -> None:
    (media / photo.file.name).unlink()
    assert en_client(personas.resident).get(f"/demands/photos/{photo.pk}/").status_code == 404


def test_every_photo_route_is_in_the_matrix(photo: DemandPhoto) -> None:
    defined = {f"demands:{p.name}" for p in urls_photos.urlpatterns}
    covered = {(route, method) for route, _s, method, _st, _e in CASES}
    assert {(name, m) for name in defined for m in ("GET", "POST")} <= covered
    for route, suffix, *_rest in CASES:
        assert resolve(f"/demands/photos/{photo.pk}/{suffix}").view_name == route


def test_the_photo_route_costs_a_fixed_number_of_queries(
    photo: DemandPhoto, personas: Personas, django_assert_num_queries: Any
) -> None:
    client = en_client(personas.here)
    client.get(f"/demands/photos/{photo.pk}/")  # warm up
    # The session, the user, the staff scope, the photo (with visible_to as a subquery).
    with django_assert_num_queries(4):
        response = client.get(f"/demands/photos/{photo.pk}/")
    assert response.status_code == 200
    b"".join(response.streaming_content)
