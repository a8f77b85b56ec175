"""The previous release started a tour without a start location at the first fellow's home base
and wrote its name into the team's travel legs, which every team-mate's feed shows. Those
names become the neutral label the planner now uses ("Tour start"); tours without a start
location keep their rows and get one when staff next edit them (the model refuses to save
without it).
"""

from django.db import migrations

FIELDS = ("from_location", "to_location", "title", "notes")
NEUTRAL = "Tour start"


def neutral_start_labels(apps, schema_editor):
    Fellow = apps.get_model("fellows", "Fellow")
    ItineraryItem = apps.get_model("fellows", "ItineraryItem")
    for fellow in Fellow.objects.exclude(home_base="").iterator():
        label = fellow.home_base.strip()
        if not label:
            continue
        shared = ItineraryItem.objects.filter(tour__members__fellow=fellow).distinct()
        for item in shared.iterator():
            naming = [name for name in FIELDS if label in getattr(item, name)]
            for name in naming:
                setattr(item, name, getattr(item, name).replace(label, NEUTRAL))
            if naming:
                item.save(update_fields=naming)


class Migration(migrations.Migration):
    dependencies = [("fellows", "0004_one_line_text_zone_names_and_private_details")]

    operations = [migrations.RunPython(neutral_start_labels, migrations.RunPython.noop)]
