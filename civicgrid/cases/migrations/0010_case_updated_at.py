"""Each case carries the time of its latest history row (Open311's updated_datetime), so a page of
cases reads it from the case instead of looking into every month of the partitioned history.
Added nullable (no table rewrite), then filled from the history in one statement."""

from django.db import migrations, models

FROM_HISTORY_SQL = (
    "UPDATE cases_case SET updated_at = m.last FROM (SELECT case_id, max(at) AS last FROM cases_caseevent "
    "GROUP BY case_id) m WHERE m.case_id = cases_case.id AND cases_case.updated_at IS NULL"
)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_leaner_case_indexes_and_partitions'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='updated_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last changed'),
        ),
        migrations.RunSQL(FROM_HISTORY_SQL, migrations.RunSQL.noop),
    ]
