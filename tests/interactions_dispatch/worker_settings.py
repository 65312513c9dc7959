"""Settings of the Celery workers that the HTTP-provider tests start: the project's
settings, with email sent through :class:`~tests.interactions_dispatch.fakes.HttpEmailProvider`
to the fake API at ``FAKE_HTTP_URL``."""

from peachcomms.settings import *  # noqa: F403
from peachcomms.settings import env
from providers import registry

registry.PROVIDER_CLASSES["fakehttp"] = "tests.interactions_dispatch.fakes.HttpEmailProvider"
EMAIL_PROVIDER = "fakehttp"
FAKE_HTTP_URL = env.str("FAKE_HTTP_URL")
