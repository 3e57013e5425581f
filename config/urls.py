from django.contrib import admin
from django.urls import include, path

from config.api import api
from courtyard.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("places/", include("courtyard.places.urls")),
    path("organizations/", include("courtyard.organizations.urls")),
    path("demands/", include("courtyard.demands.urls")),
    path("councils/", include("courtyard.councils.urls")),
    path("notifications/", include("courtyard.notifications.urls")),
    path("open311/v2/", include("courtyard.demands.urls_open311")),
    path("accounts/", include("courtyard.people.urls")),
    path("", include("courtyard.core.urls")),
]
