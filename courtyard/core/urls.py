from django.urls import path

from courtyard.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("display/large-type", views.toggle_large_type, name="large-type"),
    path("history/<str:label>/<int:pk>/", views.history, name="history"),
]
