"""Settings *and* root URLconf of benchmark servers only
(``DJANGO_SETTINGS_MODULE=bench.urls_bench``).

As settings: the production settings with one change, ``ROOT_URLCONF`` is this module.
As a URLconf: the production routes plus ``/bench/floor``, a minimal Django view returning
a fixed JSON body through the same WSGI server and middleware, with no authentication, no
parsing and no database (it takes the same POST the measured route gets, and ignores it).
It is the floor API routes are measured against, and never exists in the production URLs.

``urlpatterns`` is built on first access (module ``__getattr__``): the production URLconf
imports the apps, which cannot happen while Django is still reading the settings.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from peachcomms.settings import *  # noqa: F403 - these are settings

ROOT_URLCONF = "bench.urls_bench"

FLOOR_BODY = {"subjectLine": "Floor", "contentHtml": "<p>Floor</p>", "contentText": "Floor"}


@csrf_exempt
def floor(request: HttpRequest) -> JsonResponse:
    return JsonResponse(FLOOR_BODY)


def __getattr__(name: str) -> Any:
    if name == "urlpatterns":
        from django.urls import path

        from peachcomms.urls import urlpatterns as production

        patterns = [path("bench/floor", floor, name="bench-floor"), *production]
        globals()["urlpatterns"] = patterns
        return patterns
    raise AttributeError(name)
