"""The operator commands as a newcomer runs them: ``manage.py`` in a subprocess on the
embedded default (SQLite in a temporary folder, the filesystem broker, no REDIS_URL), as
``make run`` does. What only the embedded default does (the demo login) and what only a
real process shows (kombu's warnings, the logging handlers, exit statuses) is tested here;
the rest of the commands is in tests/test_commands.py."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password

pytestmark = pytest.mark.slow

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


class Embedded:
    """``manage.py`` against one SQLite file, with the environment of the embedded default."""

    def __init__(self, folder: Path) -> None:
        self.database = folder / "db.sqlite3"
        self.env = {
            name: value
            for name, value in os.environ.items()
            if name not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
        }
        self.env.update(
            {
                "DATABASE_URL": f"sqlite:///{self.database}",
                "CELERY_DATA_DIR": str(folder / "celery"),
                "STATIC_ROOT": str(folder / "static"),
                "MEDIA_ROOT": str(folder / "media"),
            }
        )

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, MANAGE, *args],
            env={**self.env, **(env or {})},
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def users(self) -> list[tuple[str, str, int, int]]:
        with sqlite3.connect(self.database) as db:
            return db.execute("SELECT username, password, is_staff, is_superuser FROM auth_user").fetchall()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated embedded database, made once per module (migrating takes seconds)."""
    instance = Embedded(tmp_path_factory.mktemp("migrated"))
    result = instance.run("migrate", "--noinput")
    assert result.returncode == 0, result.stderr
    return instance.database


@pytest.fixture
def embedded(migrated: Path, tmp_path: Path) -> Embedded:
    """A fresh copy of the migrated database for each test, so no test sees another's rows."""
    instance = Embedded(tmp_path)
    shutil.copyfile(migrated, instance.database)
    return instance


def test_the_demo_login_is_not_created_with_debug_off(embedded: Embedded) -> None:
    production = {"DEBUG": "false", "SECRET_KEY": "s" * 50}
    result = embedded.run("seed_demo", "--staff-login", env=production)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "Demo login:    not created (DEBUG is off); create one with `manage.py createsuperuser`.\n"
    )
    assert "Demo login" not in result.stdout
    assert embedded.users() == []


def test_make_runs_seed_creates_the_demo_login_once_and_prints_the_address(embedded: Embedded) -> None:
    first = embedded.run("seed_demo", "--base-url", "http://127.0.0.1:8123", "--staff-login")
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    lines = dict(line.split(":", 1) for line in first.stdout.splitlines())
    username, password_and_url = lines["Demo login"].strip().split(" / ")
    password, url = password_and_url.split("  ")
    assert (username, url) == ("demo", "(http://127.0.0.1:8123/admin/)")
    assert lines["Try it"].strip().endswith(" http://127.0.0.1:8123/api/people")
    assert "8000" not in first.stdout
    ((name, encoded, is_staff, is_superuser),) = embedded.users()
    assert (name, is_staff, is_superuser) == ("demo", 1, 1)
    assert check_password(password, encoded)

    again = embedded.run("seed_demo", "--base-url", "http://127.0.0.1:8123", "--staff-login")
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout  # the same login, the same key, nothing new
    assert [user[:2] for user in embedded.users()] == [("demo", encoded)]


def test_a_changed_demo_password_is_left_alone(embedded: Embedded) -> None:
    embedded.run("seed_demo", "--staff-login")
    with sqlite3.connect(embedded.database) as db:  # what `changepassword demo` would store
        db.execute(
            "UPDATE auth_user SET password = ? WHERE username = 'demo'", [make_password("mine-now-123")]
        )
    result = embedded.run("seed_demo", "--staff-login")
    assert result.returncode == 0, result.stderr
    assert (
        "Demo login:    demo (its password was changed; `manage.py changepassword demo` sets a new one)"
        in (result.stdout)
    )
    ((_, encoded, _, _),) = embedded.users()
    assert check_password("mine-now-123", encoded)


def test_publishing_a_task_prints_no_kombu_warning(embedded: Embedded) -> None:
    result = embedded.run(
        "shell",
        "-c",
        "from peachcomms.celery import app; app.send_task('interactions.claim_due'); print('sent')",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("sent")
    assert "No hostname was supplied" not in result.stdout + result.stderr
    assert "WARNING" not in result.stderr


def test_load_builtin_templates_prints_its_summary_once(embedded: Embedded) -> None:
    result = embedded.run("load_builtin_templates")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.count("Built-in templates:") == 1
    assert result.stdout.startswith("Built-in templates: 0 created, 0 updated, ")


def test_create_company_twice_exits_1_with_a_clear_message(embedded: Embedded) -> None:
    created = embedded.run("create_company", "Northwind Credit", "--json")
    assert created.returncode == 0, created.stderr
    again = embedded.run("create_company", "northwind credit")
    assert again.returncode == 1
    assert again.stdout == ""
    assert again.stderr.startswith("CommandError: A company named 'Northwind Credit' exists already (CP-")
    with sqlite3.connect(embedded.database) as db:
        names = [row[0] for row in db.execute("SELECT name FROM borrowers_company")]
    assert names.count("Northwind Credit") == 1 and "northwind credit" not in names
    # --allow-duplicate: tests/test_commands.py
