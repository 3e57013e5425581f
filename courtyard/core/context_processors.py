"""Display preferences every page needs (large type)."""

from django.http import HttpRequest

LARGE_TYPE_COOKIE = "courtyard_large_type"


def display(request: HttpRequest) -> dict[str, bool]:
    return {"large_type": request.COOKIES.get(LARGE_TYPE_COOKIE) == "1"}
