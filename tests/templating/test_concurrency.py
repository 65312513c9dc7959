"""One active version per descriptor, with activations racing on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from templating import services
from templating.models import TemplateDescriptor, TemplateVersion
from tests.factories import TemplateDescriptorFactory, TemplateVersionFactory


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_activations_leave_exactly_one_active(round_):
    descriptor = TemplateDescriptorFactory()
    previous = services.template_version_activate(version=TemplateVersionFactory(descriptor=descriptor))
    drafts = [TemplateVersionFactory(descriptor=descriptor) for _ in range(4)]
    barrier = threading.Barrier(len(drafts))
    errors: list[BaseException] = []

    def activate(version: TemplateVersion) -> None:
        try:
            barrier.wait(timeout=10)
            services.template_version_activate(version=version)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    statuses = dict(TemplateVersion.objects.filter(descriptor=descriptor).values_list("pk", "status"))
    active = [pk for pk, status in statuses.items() if status == "active"]
    assert len(active) == 1
    assert statuses[previous.pk] == "archived"
    assert sorted(statuses.values()) == ["active"] + ["archived"] * 4
    assert TemplateDescriptor.objects.get(pk=descriptor.pk).active_version_id == active[0]
