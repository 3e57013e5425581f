"""Demand pages. Each area keeps its routes in its own module (one owner per module)."""

from courtyard.demands import (
    urls_photos,
    urls_resident,
    urls_scorecard,
    urls_staff,
    urls_whistles,
)

app_name = "demands"
urlpatterns = [
    *urls_resident.urlpatterns,
    *urls_staff.urlpatterns,
    *urls_scorecard.urlpatterns,
    *urls_whistles.urlpatterns,
    *urls_photos.urlpatterns,
]
