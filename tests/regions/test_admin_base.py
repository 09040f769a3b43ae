"""The scoped admin base of every screen (``regions.admin_base.ScopedAdmin``): its history button."""

import pytest
from django.urls import reverse

from regions.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.django_db
def test_the_history_button_opens_the_objects_own_history_not_an_empty_log(client, reference, make_user, providers):
    from regions.models import Provider

    provider = Provider.objects.get(pk=providers["04a"].pk)
    client.force_login(make_user(Role.CLERK, "04"))
    change = reverse("admin:regions_provider_change", args=[provider.pk])

    response = client.get(reverse("admin:regions_provider_history", args=[provider.pk]))
    page = client.get(change).content.decode()
    hidden = client.get(reverse("admin:regions_provider_history", args=[providers["06"].pk]))

    assert (response.status_code, response["Location"]) == (302, change + "#history")
    assert page.count('id="history"') == 1
    # Another region's provider stays out of sight, answered as Django answers for an object that does not exist.
    assert (hidden.status_code, hidden["Location"]) == (302, reverse("admin:index"))
