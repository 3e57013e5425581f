from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courtyard.core.errors import DomainError
from courtyard.core.http import AuthedRequest
from courtyard.people import actions
from courtyard.people.forms import ProfileForm, TokenForm
from courtyard.people.models import ApiToken

NEW_TOKEN_KEY = "courtyard_new_token"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password; every API token issued before stops working."""

    template_name = "people/password_change.html"
    success_url = reverse_lazy("people:password-done")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user  # the account whose password just changed
        actions.revoke_all_tokens(user, by=user)
        return response


class LoginView(auth_views.LoginView):
    """Log in. A visitor who has not picked a language on this device gets the account's
    preferred one; one who just switched keeps the language they chose."""

    template_name = "people/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        if settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                form.get_user().preferred_language,
                max_age=365 * 24 * 3600,
                samesite="Lax",
            )
        return response


def _account_context(request: AuthedRequest, **extra: object) -> dict[str, object]:
    user = request.user
    return {
        "roles": user.roles.select_related("place", "organization").order_by("-starts_on", "pk")[
            :50
        ],
        "tokens": user.api_tokens.order_by("-created_at")[:50],
        "dual_reports": user.dual_reports.select_related("community").order_by("-registered_on")[
            :20
        ],
        "profile_form": ProfileForm(
            initial={
                "display_name": user.display_name,
                "phone": user.phone,
                "preferred_language": user.preferred_language,
            }
        ),
        "token_form": TokenForm(),
        **extra,
    }


@login_required
def account(request: AuthedRequest) -> HttpResponse:
    """My account: profile, roles, home, API tokens."""
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                actions.update_profile(user, by=user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, _("Your profile is saved."))
                response = redirect("people:account")
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME, user.preferred_language, samesite="Lax"
                )
                return response
        return render(
            request, "people/account.html", _account_context(request, profile_form=form), status=400
        )
    new_token = request.session.pop(NEW_TOKEN_KEY, None)
    return render(request, "people/account.html", _account_context(request, new_token=new_token))


@login_required
@require_POST
def token_create(request: AuthedRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(
            request, "people/account.html", _account_context(request, token_form=form), status=400
        )
    _token, raw = actions.issue_token(request.user, by=request.user, name=form.cleaned_data["name"])
    # Shown once, on the page the redirect leads to: reloading it creates nothing.
    request.session[NEW_TOKEN_KEY] = raw
    return redirect("people:account")


@login_required
@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)
    try:
        actions.revoke_token(token, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The token is revoked; it no longer works."))
    return redirect("people:account")
