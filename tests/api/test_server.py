"""The Python client against the app (through TestClient) and against a live uvicorn server."""

from __future__ import annotations

import pytest

from shopmind.api import create_app
from shopmind.api.client import ShopmindAPIError, ShopmindClient
from shopmind.api.server import ThreadedServer
from shopmind.settings import ApiSettings


@pytest.fixture()
def sm(client) -> ShopmindClient:
    return ShopmindClient(api_key="writer-key", http=client)


def test_client_against_a_live_server(service):
    app = create_app(service, ApiSettings(keys="live-key:write"))
    with ThreadedServer(app) as server:
        with ShopmindClient(server.url, api_key="live-key") as sm:
            assert sm.health() == {"status": "ok"}
            assert sm.insert_events([{"user_id": "live", "item_id": "SKU00001", "type": "view"}])["inserted"] == 1
            assert len(sm.recommend("live", n=4)["items"]) == 4
        with ShopmindClient(server.url) as anonymous, pytest.raises(ShopmindAPIError) as e:
            anonymous.recommend("live")
        assert e.value.status == 401
