"""The Celery app ``peachcomms``: ``celery -A peachcomms worker --beat``.

The broker is Redis (``REDIS_URL``) in production and tests; with no ``REDIS_URL`` it is
kombu's filesystem transport, which needs no server (settings.py).

The beat embedded by ``--beat`` is a child process of the worker; it is bound to die with
the worker, however the worker ends (docs/adr/0014-beat-dies-with-its-worker.md).
"""

import ctypes
import os
import signal
import sys
from pathlib import Path

from billiard.process import current_process
from celery import Celery
from celery.signals import beat_embedded_init

from peachcomms import kombu_fixes

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peachcomms.settings")
kombu_fixes.apply()

app = Celery("peachcomms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender: Celery, **kwargs: object) -> None:
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    if sender.conf.beat_schedule_filename:
        Path(sender.conf.beat_schedule_filename).parent.mkdir(parents=True, exist_ok=True)


@beat_embedded_init.connect
def _die_with_the_worker(**kwargs: object) -> None:
    """Runs in the embedded beat process as it starts. A worker that ends cleanly stops
    its beat itself; one that is SIGKILLed (OOM killer, ``kill -9``, a supervisor's last
    resort) cannot, and the orphaned beat would go on scheduling beside the beat of the
    restarted worker — two crashes, three beats. So the kernel sends the beat SIGTERM
    when its worker dies (its normal stop: the schedule is saved, the process exits)."""
    if not sys.platform.startswith("linux"):
        return  # no PR_SET_PDEATHSIG; README "Operator commands" says what to do there
    worker_pid = current_process()._parent_pid
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed: the beat could outlive its worker")
    # The worker may have died between the fork and the prctl call, before the kernel
    # knew to signal us: then we are already an orphan.
    if os.getppid() != worker_pid:
        os.kill(os.getpid(), signal.SIGTERM)
