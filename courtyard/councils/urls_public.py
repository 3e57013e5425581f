"""Routes of the public council pages: councils (views_public), proposals (views_proposals),
resolutions and their tasks (views_resolutions). Each step posts to its own URL, named
`councils:proposal-<slug>`, `councils:resolution-<slug>` or `councils:task-<slug>`."""

from django.urls import URLPattern, path

from courtyard.councils import views_proposals, views_public, views_resolutions

urlpatterns: list[URLPattern] = [
    path("", views_public.council_list, name="council-list"),
    path("new/", views_public.council_create, name="council-create"),
    path("<int:pk>/", views_public.council_detail, name="council-detail"),
    path("<int:pk>/charter/", views_public.council_charter, name="council-charter"),
    path("<int:pk>/members/add/", views_public.council_member_add, name="council-member-add"),
    path(
        "<int:pk>/members/<int:member_pk>/remove/",
        views_public.council_member_remove,
        name="council-member-remove",
    ),
    # Proposals
    path("<int:pk>/proposals/", views_proposals.proposal_list, name="proposal-list"),
    path("<int:pk>/proposals/new/", views_proposals.proposal_create, name="proposal-create"),
    path("proposals/<int:pk>/", views_proposals.proposal_detail, name="proposal-detail"),
    *(
        path(
            f"proposals/<int:pk>/{slug}/",
            views_proposals.proposal_action,
            {"slug": slug},
            name=f"proposal-{slug}",
        )
        for slug in views_proposals.STEPS
    ),
    # Resolutions and their follow-up tasks
    path("<int:pk>/resolutions/", views_resolutions.resolution_list, name="resolution-list"),
    path("resolutions/<int:pk>/", views_resolutions.resolution_detail, name="resolution-detail"),
    *(
        path(
            f"resolutions/<int:pk>/{slug}/",
            views_resolutions.resolution_action,
            {"slug": slug},
            name=f"resolution-{slug}",
        )
        for slug in views_resolutions.STEPS
    ),
    path("tasks/<int:pk>/complete/", views_resolutions.task_complete, name="task-complete"),
    path("tasks/<int:pk>/dispatch/", views_resolutions.task_dispatch, name="task-dispatch"),
]
