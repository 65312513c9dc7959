"""Triggers that give a company a new ``settings_version`` whenever its cached settings
change (borrowers/settings_cache.py). PostgreSQL takes the new value from a sequence and
SQLite from ``random()``, so a version is never reused, not even after a rollback."""

from django.db import migrations

#: (table, whether company_id may be NULL: a built-in row, which concerns every company)
TABLES = (
    ("compliance_compliancerule", False),
    ("subjects_companysubjectsetting", False),
    ("templating_templatedescriptor", True),
    ("templating_templateversion", True),
)

POSTGRES_FUNCTION = """
CREATE SEQUENCE IF NOT EXISTS borrowers_settings_version_seq;
CREATE OR REPLACE FUNCTION borrowers_settings_version_bump() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.company_id IS NULL THEN
            UPDATE borrowers_company SET settings_version = nextval('borrowers_settings_version_seq');
            RETURN NULL;
        END IF;
        UPDATE borrowers_company SET settings_version = nextval('borrowers_settings_version_seq')
            WHERE id = OLD.company_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.company_id IS NULL THEN
            UPDATE borrowers_company SET settings_version = nextval('borrowers_settings_version_seq');
            RETURN NULL;
        END IF;
        IF TG_OP = 'INSERT' OR NEW.company_id IS DISTINCT FROM OLD.company_id THEN
            UPDATE borrowers_company SET settings_version = nextval('borrowers_settings_version_seq')
                WHERE id = NEW.company_id;
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

SQLITE_NEW_VALUE = "abs(random())"


def _postgres(table: str) -> tuple[str, str]:
    name = f"{table}_settings_version"
    create = (
        f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION borrowers_settings_version_bump();"
    )
    return create, f"DROP TRIGGER IF EXISTS {name} ON {table};"


def _sqlite(table: str, nullable: bool) -> tuple[list[str], list[str]]:
    creates, drops = [], []
    for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
        name = f"{table}_settings_version_{event.lower()}"
        matches = " OR ".join(
            f"id = {row}.company_id" + (f" OR {row}.company_id IS NULL" if nullable else "") for row in rows
        )
        creates.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN "
            f"UPDATE borrowers_company SET settings_version = {SQLITE_NEW_VALUE} WHERE {matches}; END;"
        )
        drops.append(f"DROP TRIGGER IF EXISTS {name};")
    return creates, drops


def create(apps, schema_editor):  # noqa: ANN001, ANN201
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
        for table, _ in TABLES:
            schema_editor.execute(_postgres(table)[0])
    elif vendor == "sqlite":
        for table, nullable in TABLES:
            for statement in _sqlite(table, nullable)[0]:
                schema_editor.execute(statement)
    else:  # pragma: no cover - the project runs on PostgreSQL and SQLite only
        raise RuntimeError(f"No settings-version triggers for {vendor}.")


def drop(apps, schema_editor):  # noqa: ANN001, ANN201
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table, _ in TABLES:
            schema_editor.execute(_postgres(table)[1])
        schema_editor.execute("DROP FUNCTION IF EXISTS borrowers_settings_version_bump();")
        schema_editor.execute("DROP SEQUENCE IF EXISTS borrowers_settings_version_seq;")
    elif vendor == "sqlite":
        for table, nullable in TABLES:
            for statement in _sqlite(table, nullable)[1]:
                schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("borrowers", "0002_company_settings_version"),
        ("compliance", "0001_initial"),
        ("subjects", "0002_load_catalogue"),
        ("templating", "0002_load_builtin_templates"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
