from django.db import migrations


def load(apps, schema_editor):
    from templating.builtin import load_builtin_templates

    load_builtin_templates(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("templating", "0001_initial"),
        ("subjects", "0002_load_catalogue"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
