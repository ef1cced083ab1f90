from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from analytics_site import login_guard, sso
from dashboard import invitations, two_factor
from dashboard.graphql.views import graphql_api
from ops import views as ops_views

# Swagger UI adds <style> elements as it renders; scripts stay restricted to our own files. The page
# answers GET alone: DRF's OPTIONS answer would need a template the docs view does not have.
api_docs = require_safe(
    csp_update({"style-src": [SELF, UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))
)
handler400 = "analytics_site.error_pages.bad_request"
handler404 = "analytics_site.error_pages.page_not_found"


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    # Resolved per request: the static files' manifest exists only after collectstatic.
    return HttpResponseRedirect(static("favicon.svg"))


handler500 = "analytics_site.error_pages.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("tracker.urls")),
    # For load balancers and Prometheus: liveness, readiness, metrics (see ops/).
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.prometheus_metrics, name="metrics"),
    path("api/v1/", include("dashboard.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/graphql", graphql_api, name="graphql"),
    # Browsers ask for /favicon.ico whatever the page links.
    path("favicon.ico", favicon, name="favicon"),
    # Django's login, with an authentication code for users who turned two-factor login on.
    path("accounts/login/", two_factor.LoginView.as_view(), name="login"),
    path("accounts/two-factor/", two_factor.two_factor, name="two-factor"),
    path("accounts/two-factor/start", two_factor.two_factor_start, name="two-factor-start"),
    path("accounts/two-factor/confirm", two_factor.two_factor_confirm, name="two-factor-confirm"),
    path("accounts/two-factor/disable", two_factor.two_factor_disable, name="two-factor-disable"),
    # A new password lifts the account's login lockouts.
    path("accounts/password_change/", login_guard.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        login_guard.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    # Single sign-on through the OpenID Connect provider (404 while OIDC_ISSUER is unset).
    path("accounts/sso/", sso.SsoLoginView.as_view(), name="oidc-login"),
    path("accounts/sso/callback", sso.SsoCallbackView.as_view(), name="oidc-callback"),
    # Open sign-up, only with REGISTRATION=open; otherwise accounts come from invitations or the admin.
    path("accounts/signup/", invitations.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Admin's own login would skip the second factor: it sends people to the login above.
    path("admin/login/", two_factor.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
]
if settings.MICROANALYTICS_PATH:
    urlpatterns.append(path(settings.MICROANALYTICS_PATH, include("compat.urls")))
urlpatterns.append(path("", include("dashboard.urls")))
