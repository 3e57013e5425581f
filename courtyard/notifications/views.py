"""The inbox pages: the list, opening one notification, marking all read."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from courtyard.core.http import AuthedRequest, is_local
from courtyard.core.pagination import keyset_page
from courtyard.notifications import actions
from courtyard.notifications.models import Notification


@login_required
@require_GET
def notification_list(request: AuthedRequest) -> HttpResponse:
    """My notifications, newest first, unread ones marked; keyset pages (one query)."""
    page = keyset_page(
        Notification.objects.visible_to(request.user),
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=("-pk",),
    )
    template = (
        "notifications/_notification_rows.html"
        if request.htmx
        else "notifications/notification_list.html"
    )
    return render(request, template, {"page": page})


@login_required
@require_GET
def notification_open(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark one of my notifications read and go to its page — only a page of this site
    (a stored link that is not local falls back to the inbox). Someone else's is a 404."""
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    # Followed from another site (an <img> pointing here, say), it is not "read".
    if request.headers.get("Sec-Fetch-Site") != "cross-site":
        actions.mark_read(by=request.user, ids=[notification.pk])
    inbox = reverse("notifications:notification-list")
    return redirect(notification.url if is_local(request, notification.url) else inbox)


@login_required
@require_POST
def notification_read_all(request: AuthedRequest) -> HttpResponse:
    actions.mark_read(by=request.user)
    return redirect("notifications:notification-list")
