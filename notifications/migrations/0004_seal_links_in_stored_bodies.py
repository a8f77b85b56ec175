"""Rows written by the previous release kept the host's private link in clear in their bodies.

Unsent rows (pending, sending, failed, dead: staff may still retry a dead one) get the link
sealed and a placeholder in the bodies, so they are still sent with a working link. Sent rows
lose the link: the host has it, and nothing in the database may open their page any more.
"""

import re

from django.db import migrations

# The URL path of events:host-request: /r/<32 random bytes, URL-safe base64>/
HOST_LINK = re.compile(r"https?://[^\s\"'<>]*?/r/[A-Za-z0-9_-]{20,}/")
SENT = "sent"
REMOVED = "[private link removed after sending]"


def seal_links(apps, schema_editor):
    from notifications import sealed_links

    Notification = apps.get_model("notifications", "Notification")
    rows = Notification.objects.filter(body_text__contains="/r/", sealed_link="")
    for row in rows.iterator():
        found = HOST_LINK.search(row.body_text) or HOST_LINK.search(row.body_html)
        if found is None:
            continue
        link = found.group(0)
        replacement = REMOVED if row.status == SENT else sealed_links.LINK_PLACEHOLDER
        row.body_text = row.body_text.replace(link, replacement)
        row.body_html = row.body_html.replace(link, replacement)
        row.subject = row.subject.replace(link, replacement)
        if row.status != SENT:
            row.sealed_link = sealed_links.seal(link)
        row.save(update_fields=["subject", "body_text", "body_html", "sealed_link"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_sealed_private_links")]

    operations = [migrations.RunPython(seal_links, migrations.RunPython.noop)]
