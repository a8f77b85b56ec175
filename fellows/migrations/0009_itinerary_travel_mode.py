"""Travel items say how they go (drive or flight) in a field of their own.

Until now the planner's titles carried it ("Fly to Denver", in the language active when the plan
was accepted) and the calendars read it back from the title. Existing planner legs get their mode
from that title in either language; legs staff wrote keep a blank mode (their title is theirs).
"""

from django.db import migrations, models


def is_flight_title(title: str) -> bool:
    """Whether a planner title names a flight: "Fly to Denver, CO" (English) or
    "Denver, CO까지 항공 이동" (Korean, locale/ko: "%(place)s까지 %(mode)s")."""
    return title.startswith("Fly ") or title.endswith("까지 항공 이동")


def mode_from_title(apps, schema_editor):
    ItineraryItem = apps.get_model("fellows", "ItineraryItem")
    legs = ItineraryItem.objects.filter(kind="travel", source="planner")
    flights = [item.pk for item in legs.only("pk", "title") if is_flight_title(item.title)]
    legs.filter(pk__in=flights).update(mode="flight")
    legs.exclude(pk__in=flights).update(mode="drive")


class Migration(migrations.Migration):
    dependencies = [
        ("fellows", "0008_constraint_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="itineraryitem",
            name="mode",
            field=models.CharField(
                blank=True, choices=[("drive", "Drive"), ("flight", "Fly")], max_length=10
            ),
        ),
        migrations.RunPython(mode_from_title, migrations.RunPython.noop, elidable=True),
    ]
