"""A logged interaction may have no subject (issue 13: data.md requires only channel,
theme and status). Dropping NOT NULL is a catalogue change only: no table rewrite."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("interactions", "0006_content_lz4")]

    operations = [
        migrations.AlterField(
            model_name="interaction",
            name="subject",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
    ]
