"""Routes of a demand's photos (views_photos)."""

from django.urls import URLPattern, path

from courtyard.demands import views_photos

urlpatterns: list[URLPattern] = [
    path("photos/<int:pk>/", views_photos.photo, name="photo"),
    path("photos/<int:pk>/thumbnail/", views_photos.photo_thumbnail, name="photo-thumbnail"),
]
