# The site_id indexes of events and sessions repeat the leading column of event_site_timestamp and
# session_site_started, and every row a batch writes costs an entry in each. Only the indexes are
# dropped: Django's AlterField would also drop and re-add the foreign keys, which checks every row
# of a large table again under a lock.

import django.db.models.deletion
from django.db import migrations, models

# Django's names for them (a hash of table and column), the same on every database.
INDEXES = {
    "tracker_event": "tracker_event_site_id_cecd7798",
    "tracker_session": "tracker_session_site_id_8767791e",
}


class Migration(migrations.Migration):

    dependencies = [
        ('sites', '0005_onboarding'),
        ('tracker', '0011_drop_counts'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name='site',
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='sites.site'
                    ),
                )
                for model in ('event', 'session')
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("site_id")',
                )
                for table, index in INDEXES.items()
            ],
        ),
    ]
