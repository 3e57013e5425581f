"""Routes of this area (filled by its views module)."""

urlpatterns: list = []
