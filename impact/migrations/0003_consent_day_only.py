"""A supporter's consent keeps its day, not its moment: a timestamp to the microsecond matched the
anonymous answer sent in the same request. Existing rows keep their day (UTC)."""

import datetime as dt

from django.db import migrations, models


def keep_the_day(apps, schema_editor):
    SupporterContact = apps.get_model("impact", "SupporterContact")
    for contact in SupporterContact.objects.only("pk", "consented_at"):
        day = contact.consented_at.astimezone(dt.UTC).date()
        SupporterContact.objects.filter(pk=contact.pk).update(consented_on=day)


class Migration(migrations.Migration):
    dependencies = [("impact", "0002_survey_answer_submission_key")]

    operations = [
        migrations.AddField(
            model_name="supportercontact",
            name="consented_on",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(keep_the_day, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="supportercontact", name="consented_at"),
        migrations.AlterField(
            model_name="supportercontact",
            name="consented_on",
            field=models.DateField(auto_now_add=True),
        ),
        migrations.AlterModelOptions(
            name="supportercontact",
            options={"ordering": ["consented_on", "pk"]},
        ),
    ]
