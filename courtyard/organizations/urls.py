from django.urls import path

from courtyard.organizations import views

app_name = "organizations"
urlpatterns = [
    path("", views.directory, name="organization-list"),
    path("<int:pk>/", views.organization_detail, name="organization-detail"),
    path("committees/<int:pk>/", views.committee_detail, name="committee-detail"),
    path("memberships/<int:pk>/end/", views.membership_end, name="membership-end"),
    path("communities/<int:pk>/dual-reports/", views.dual_report_list, name="dualreport-list"),
    path(
        "communities/<int:pk>/dual-reports/new/",
        views.dual_report_create,
        name="dualreport-create",
    ),
    path("dual-reports/<int:pk>/withdraw/", views.dual_report_withdraw, name="dualreport-withdraw"),
]
