"""The moved models' tables take this app's names (sites_site, ...); their rows, and the foreign keys
of other tables to them, stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sites", "0001_initial"),
        ("tracker", "0010_ownership_moves_to_sites"),
    ]

    operations = [
        migrations.AlterModelTable(name="site", table=None),
        migrations.AlterModelTable(name="membership", table=None),
        migrations.AlterModelTable(name="apikey", table=None),
        migrations.AlterModelTable(name="sharelink", table=None),
    ]
