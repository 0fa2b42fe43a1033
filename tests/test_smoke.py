def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_participant_link_opens(client, make_participant):
    participant, token = make_participant()
    response = client.get(f"/c/{token}")
    assert response.status_code == 200
    assert participant.name.encode() in response.data
