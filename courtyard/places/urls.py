from django.urls import path

from courtyard.places import views

app_name = "places"
urlpatterns = [
    path("<int:pk>/", views.place_detail, name="place-detail"),
]
