"""Open311 GeoReport v2, mounted at /open311/v2/: every resource as .json and .xml."""

from django.urls import path, register_converter

from courtyard.demands.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311_format")

app_name = "open311"
urlpatterns = [
    path("discovery.<open311_format:fmt>", views.discovery, name="discovery"),
    path("services.<open311_format:fmt>", views.services, name="services"),
    path(
        "services/<str:service_code>.<open311_format:fmt>",
        views.service_definition,
        name="service",
    ),
    path("requests.<open311_format:fmt>", views.service_requests, name="requests"),
    path("requests/<str:request_id>.<open311_format:fmt>", views.service_request, name="request"),
    path("tokens/<str:token>.<open311_format:fmt>", views.service_request_token, name="token"),
]
