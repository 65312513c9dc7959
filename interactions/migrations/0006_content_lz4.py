"""The rendered content of a message (often 5–10 KB of HTML and text) is stored
compressed by PostgreSQL's TOAST. Its default compression, pglz, costs the database a
noticeable share of each send's CPU; lz4 compresses several times faster at a similar
ratio. Applies to rows written from now on; a PostgreSQL built without lz4 keeps pglz."""

from django.db import migrations

from peachcomms.db import set_toast_compression

TABLE, COLUMNS = "interactions_interaction", ("content", "meta_data")


def lz4(apps, schema_editor):  # noqa: ANN001, ANN201
    set_toast_compression(schema_editor, TABLE, COLUMNS, "lz4")


def pglz(apps, schema_editor):  # noqa: ANN001, ANN201
    set_toast_compression(schema_editor, TABLE, COLUMNS, "pglz")


class Migration(migrations.Migration):
    dependencies = [("interactions", "0005_lean_indexes")]

    operations = [migrations.RunPython(lz4, pglz, elidable=False)]
