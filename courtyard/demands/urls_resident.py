"""Routes of the resident's pages and of a demand's page with its action forms
(views_resident). Each action posts to `<id>/<slug>/`, named `demands:demand-<slug>`."""

from django.urls import URLPattern, path

from courtyard.demands import views_resident as views

urlpatterns: list[URLPattern] = [
    path("new/", views.demand_create, name="demand-create"),
    path("mine/", views.demand_list_mine, name="demand-list-mine"),
    path("<int:pk>/", views.demand_detail, name="demand-detail"),
    *(
        path(f"<int:pk>/{slug}/", views.demand_action, {"slug": slug}, name=f"demand-{slug}")
        for slug in views.STEPS
    ),
]
