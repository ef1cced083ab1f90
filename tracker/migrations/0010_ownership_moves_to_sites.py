"""Site, Membership, ApiKey and ShareLink now belong to the sites app (see sites/migrations/0001);
the collected data's foreign keys point at sites.Site. No table changes here but one column: a
visit's source is named as the event's, `referrer_source`."""

import django.db.models.deletion
from django.db import migrations, models


def site_key(**options):
    return models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sites.site", **options)


class Migration(migrations.Migration):
    dependencies = [
        ("sites", "0001_initial"),
        ("tracker", "0009_site_domain_validator"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name="membership", name="site"),
                migrations.RemoveField(model_name="membership", name="user"),
                migrations.RemoveField(model_name="sharelink", name="site"),
                migrations.AlterField(
                    model_name="rollupstate",
                    name="site",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="rollup_state",
                        serialize=False,
                        to="sites.site",
                    ),
                ),
                migrations.AlterField(model_name="event", name="site", field=site_key()),
                migrations.AlterField(model_name="rollup", name="site", field=site_key()),
                migrations.AlterField(model_name="rollupdirty", name="site", field=site_key()),
                migrations.AlterField(model_name="session", name="site", field=site_key()),
                migrations.AlterField(model_name="archivefile", name="site", field=site_key()),
                migrations.AlterField(
                    model_name="archivecursor",
                    name="site",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="archive_cursor",
                        serialize=False,
                        to="sites.site",
                    ),
                ),
                migrations.DeleteModel(name="ApiKey"),
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="ShareLink"),
                migrations.DeleteModel(name="Site"),
            ],
        ),
        migrations.RenameField(model_name="session", old_name="source", new_name="referrer_source"),
    ]
