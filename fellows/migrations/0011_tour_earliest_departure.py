"""Tours get an earliest departure (07:00); a tour whose working day starts earlier departs
when it starts, so every existing tour keeps the constraint and plans as before."""

import datetime
from django.db import migrations, models


def no_later_than_the_working_day(apps, schema_editor):
    Tour = apps.get_model("fellows", "Tour")
    Tour.objects.filter(work_day_start__lt=datetime.time(7, 0)).update(
        earliest_departure=models.F("work_day_start")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('fellows', '0010_itinerary_end_timezone'),
    ]

    operations = [
        migrations.AddField(
            model_name='tour',
            name='earliest_departure',
            field=models.TimeField(default=datetime.time(7, 0), help_text="How early the team may leave for the day's first talk; talks keep to the working day."),
        ),
        migrations.RunPython(no_later_than_the_working_day, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='tour',
            constraint=models.CheckConstraint(condition=models.Q(('earliest_departure__lte', models.F('work_day_start'))), name='tour_departs_no_later_than_the_working_day_starts', violation_error_message="The earliest departure must be no later than the working day's start."),
        ),
    ]
