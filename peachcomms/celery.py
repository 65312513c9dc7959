"""The Celery app ``peachcomms``: ``celery -A peachcomms worker --beat``.

The broker is Redis (``REDIS_URL``) in production and tests; with no ``REDIS_URL`` it is
kombu's filesystem transport, which needs no server (settings.py).
"""

import os
from pathlib import Path

from celery import Celery

from peachcomms import kombu_fixes

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peachcomms.settings")
kombu_fixes.apply()

app = Celery("peachcomms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender: Celery, **kwargs: object) -> None:
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    if sender.conf.beat_schedule_filename:
        Path(sender.conf.beat_schedule_filename).parent.mkdir(parents=True, exist_ok=True)
