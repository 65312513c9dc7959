"""The outbox keeps each message's full HTML and text: compressed with lz4 rather than
pglz, as the interactions' content is (interactions.0006)."""

from django.db import migrations

from peachcomms.db import set_toast_compression

TABLE, COLUMNS = "providers_outboxmessage", ("content_html", "content_text")


def lz4(apps, schema_editor):  # noqa: ANN001, ANN201
    set_toast_compression(schema_editor, TABLE, COLUMNS, "lz4")


def pglz(apps, schema_editor):  # noqa: ANN001, ANN201
    set_toast_compression(schema_editor, TABLE, COLUMNS, "pglz")


class Migration(migrations.Migration):
    dependencies = [("providers", "0002_outbox_cc_bcc")]

    operations = [migrations.RunPython(lz4, pglz, elidable=False)]
