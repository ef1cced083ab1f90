from django.urls import path

from dashboard import export_views, invitations, onboarding, site_settings, views
from reports import views as reports

app_name = "dashboard"
urlpatterns = [
    path("", views.site_list, name="site-list"),
    # Not under sites/: any single-label name there is a site's domain.
    path("new-site/", onboarding.add_site, name="add-site"),
    path("sites/<str:domain>/setup/", onboarding.setup, name="setup"),
    path("sites/<str:domain>/setup/status", onboarding.setup_status, name="setup-status"),
    path("sites/<str:domain>/", views.site_dashboard, name="site"),
    path("sites/<str:domain>/pages/", views.article_dashboard, name="article"),
    path("sites/<str:domain>/data/<slug:kind>", views.site_data, name="site-data"),
    path("sites/<str:domain>/settings/", site_settings.settings_page, name="settings"),
    path("sites/<str:domain>/settings/timezone", site_settings.set_timezone, name="settings-timezone"),
    path("sites/<str:domain>/settings/exclusions", site_settings.set_exclusions, name="settings-exclusions"),
    path("sites/<str:domain>/settings/goals", site_settings.create_goal, name="settings-goal"),
    path(
        "sites/<str:domain>/settings/goals/<int:goal_id>/delete",
        site_settings.delete_goal,
        name="settings-goal-delete",
    ),
    path("sites/<str:domain>/settings/funnels", site_settings.create_funnel, name="settings-funnel"),
    path(
        "sites/<str:domain>/settings/funnels/<int:funnel_id>/delete",
        site_settings.delete_funnel,
        name="settings-funnel-delete",
    ),
    path("sites/<str:domain>/settings/members", site_settings.set_member, name="settings-member"),
    path(
        "sites/<str:domain>/settings/members/<int:membership_id>/remove",
        site_settings.remove_member,
        name="settings-member-remove",
    ),
    path("sites/<str:domain>/settings/invitations", site_settings.invite, name="settings-invite"),
    path(
        "sites/<str:domain>/settings/invitations/<int:invitation_id>/revoke",
        site_settings.revoke_invitation,
        name="settings-invitation-revoke",
    ),
    path("sites/<str:domain>/settings/transfer", site_settings.transfer_ownership, name="settings-transfer"),
    path("sites/<str:domain>/settings/keys", site_settings.create_key, name="settings-key"),
    path("sites/<str:domain>/settings/keys/<str:prefix>/revoke", site_settings.revoke_key, name="settings-key-revoke"),
    path("sites/<str:domain>/settings/share", site_settings.create_share_link, name="settings-share"),
    path(
        "sites/<str:domain>/settings/share/<int:link_id>/revoke",
        site_settings.revoke_share_link,
        name="settings-share-revoke",
    ),
    path("sites/<str:domain>/settings/imports", site_settings.upload_import, name="settings-import"),
    path(
        "sites/<str:domain>/settings/imports/<int:import_id>/delete",
        site_settings.delete_import,
        name="settings-import-delete",
    ),
    path("sites/<str:domain>/settings/retention", site_settings.set_retention, name="settings-retention"),
    path("sites/<str:domain>/settings/delete-data", site_settings.delete_data, name="settings-delete-data"),
    path("sites/<str:domain>/settings/delete-site", site_settings.delete_site, name="settings-delete-site"),
    path("sites/<str:domain>/email/", reports.email_page, name="email"),
    path("sites/<str:domain>/email/subscriptions", reports.set_subscriptions, name="email-subscriptions"),
    path(
        "sites/<str:domain>/email/subscriptions/<int:subscription_id>/delete",
        reports.delete_subscription,
        name="email-subscription-delete",
    ),
    path("sites/<str:domain>/email/recipients", reports.add_recipient, name="email-recipients"),
    path("sites/<str:domain>/email/alerts", reports.create_alert, name="email-alerts"),
    path("sites/<str:domain>/email/alerts/<int:alert_id>/delete", reports.delete_alert, name="email-alert-delete"),
    # Linked from every report and alert mail: works without login (RFC 8058 one-click POST too).
    path("unsubscribe/<str:token>", reports.unsubscribe, name="unsubscribe"),
    path("invitations/<str:token>/", invitations.invitation, name="invitation"),
    path("share/<str:token>/", views.shared_dashboard, name="shared"),
    path("share/<str:token>/pages/", views.shared_article, name="shared-article"),
    path("share/<str:token>/data/<slug:kind>", views.shared_data, name="shared-data"),
    path("sites/<str:domain>/export", export_views.site_export, name="site-export"),
    path("demo/", views.demo, name="demo"),
    path("demo/<path:rest>", views.demo, name="demo-page"),
]
