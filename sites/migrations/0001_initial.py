"""Site, Membership, ApiKey and ShareLink move from the tracker app into this one.

The tables stay as they are here (state only), and 0002 gives them this app's names; rows, keys and
foreign keys are untouched. Content types move with the models, so permissions and admin history
granted on them keep pointing at them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import sites.models

MOVED = ["site", "membership", "apikey", "sharelink"]


def move_content_types(apps, schema_editor, source="tracker", target="sites"):
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.filter(app_label=source, model__in=MOVED).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="sites", target="tracker")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tracker", "0009_site_domain_validator"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Site",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "domain",
                            models.CharField(
                                help_text="As in data-domain, e.g. blog.example",
                                max_length=253,
                                unique=True,
                                validators=[sites.models.validate_domain],
                            ),
                        ),
                        ("name", models.CharField(blank=True, max_length=200)),
                        (
                            "timezone",
                            models.CharField(default="UTC", max_length=64, validators=[sites.models.validate_timezone]),
                        ),
                        (
                            "retention_days",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="Delete raw events and sessions older than this; rollups stay. Empty: keep",
                                null=True,
                            ),
                        ),
                        (
                            "archive_retention_days",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="Delete archive files older than this. Empty: ARCHIVE_RETENTION_DAYS",
                                null=True,
                            ),
                        ),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        (
                            "long_lived_visitor_ids",
                            models.BooleanField(
                                default=False,
                                help_text="Some of its visitor ids last longer than a day (µAnalytics' monthly tokens), "
                                "so its multi-day visitor counts come from raw events, not rollups",
                            ),
                        ),
                    ],
                    options={"ordering": ["domain"], "db_table": "tracker_site"},
                ),
                migrations.CreateModel(
                    name="ShareLink",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("token", models.CharField(max_length=64, unique=True)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("revoked", models.DateTimeField(blank=True, null=True)),
                        (
                            "site",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="share_links", to="sites.site"
                            ),
                        ),
                    ],
                    options={"ordering": ["-created"], "db_table": "tracker_sharelink"},
                ),
                migrations.CreateModel(
                    name="ApiKey",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100)),
                        (
                            "prefix",
                            models.CharField(
                                help_text="Visible start of the key, to recognise it", max_length=16, unique=True
                            ),
                        ),
                        (
                            "secret_hash",
                            models.CharField(
                                help_text="SHA-256 of the whole key; the key itself is never stored", max_length=64
                            ),
                        ),
                        ("scopes", models.JSONField(default=list)),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        ("last_used", models.DateTimeField(blank=True, null=True)),
                        ("revoked", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="api_keys",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "sites",
                            models.ManyToManyField(
                                blank=True,
                                help_text="Empty: every site of the user",
                                related_name="api_keys",
                                to="sites.site",
                            ),
                        ),
                    ],
                    options={"ordering": ["-created"], "db_table": "tracker_apikey"},
                ),
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[("owner", "Owner"), ("viewer", "Viewer")], default="viewer", max_length=10
                            ),
                        ),
                        ("created", models.DateTimeField(auto_now_add=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "site",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to="sites.site"
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(fields=("user", "site"), name="membership_user_site_unique")
                        ],
                        "db_table": "tracker_membership",
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
