"""Routing reads numbers written without a country code in the configured region (summary.default_region),
not always as US ones: on an install set to GB, the VIP list entry "020 7946 0018" is +442079460018, a rule
on that list routes that caller (through the pipeline's end with a real worker, in `explain`, and for a
triage card in `voice routing test`), and a rule's own `caller` is read the same way.
On the app in process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.support.app import LocalServer, app_settings, local_server
from tests.support.http_servers import AudioServer
from tests.support.paths import ROOT
from tests.support.seed import seed_voicemail

SAMPLE = ROOT / "samples" / "billing_invoice.wav"  # speech, so it reaches the (fixed) engine
RULES = {
    "rules": [
        {"name": "vip", "when": {"caller_list": "vip"}, "then": {"team": "billing", "tags": ["vip"]}},
        {
            "name": "direct",
            "when": {"caller": "020 7946 0019"},
            "then": {"team": "billing", "tags": ["direct"]},
        },
        {"name": "default", "default": True, "then": {"team": "support"}},
    ]
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    from voice.storage import teams

    data = tmp_path_factory.mktemp("routing-region") / "data"
    with local_server(app_settings(data, worker=True, summary={"default_region": "GB"})) as server:
        server.create_user("alice", "correct horse battery", "agent")
        with server.sm() as session:
            teams.create_team(session, "billing", ["accounts"])
            teams.create_team(session, "support", ["helpdesk"])
            teams.add_member(session, "billing", username="alice")
            teams.add_member(session, "support", username="alice")
            session.commit()
        yield server


def test_a_uk_vip_list_entry_matches_the_caller_and_its_rule_routes_it(
    app: LocalServer, audio_server: AudioServer
) -> None:
    client, h = app.client, app.headers()
    r = client.post("/v1/routing/lists/vip/numbers", json={"numbers": ["020 7946 0018"]}, headers=h)
    assert r.status_code == 200 and r.json() == {"lists": {"vip": ["+442079460018"]}}, r.text
    r = client.put("/v1/routing/rules", json=RULES, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["rules"][1]["when"] == {"caller": ["+442079460019"]}

    # The pipeline's end routes the caller on the list.
    shutil.copy(SAMPLE, audio_server.root / "routing-uk-vip.wav")
    vm_id = app.post_url(
        f"{audio_server.url}/routing-uk-vip.wav", mailbox="helpdesk", **{"from": "+442079460018"}
    )
    vm = app.wait(vm_id)
    assert (vm["status"], vm["team"], vm["tags"]) == ("done", "billing", ["vip"]), vm

    # A caller stored as the carrier wrote it, nationally, is read in the region too (explain).
    with app.sm() as session:
        listed = seed_voicemail(session, mailbox="helpdesk", from_number="020 7946 0018")
        direct = seed_voicemail(session, mailbox="helpdesk", from_number="020 7946 0019")
        session.commit()
    for seeded, rule in ((listed, "vip"), (direct, "direct")):
        now = client.get(f"/v1/voicemails/{seeded}/routing", headers=h).json()["now"]
        assert (now["team"], now["rules"]) == ("billing", [rule]), now

    # A removal takes the number as it was added.
    r = client.request(
        "DELETE", "/v1/routing/lists/vip/numbers", params={"number": "020 7946 0018"}, headers=h
    )
    assert r.status_code == 200 and r.json() == {"lists": {"vip": []}}, r.text


def test_a_triage_card_s_national_caller_is_read_in_the_region(app: LocalServer) -> None:
    from voice.usecases import routing

    with app.sm() as session:
        routing.load_rule_set(session, RULES, "GB")
        routing.add_numbers(session, "vip", ["020 7946 0018"], "GB")
        results = list(routing.test_cards(session, ['{"caller": "020 7946 0018"}'], "GB"))
        session.rollback()
    assert [(r.error, r.decision.team if r.decision else None) for r in results] == [(None, "billing")]
