"""Cross-client isolation (issue 17, items 1-3): duplicate detection and call records belong to the API key
that posted them; a key never gets another key's id, call data or a hint that its message exists; reading a
call never writes to it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.support.app import LocalServer, app_settings, local_app, local_server, new_key
from tests.support.app import bearer as _h
from tests.support.http_servers import AudioServer


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with local_server(app_settings(tmp_path_factory.mktemp("isolation") / "data", worker=True)) as server:
        yield server


def test_same_recording_from_two_keys_is_two_voicemails(app: LocalServer, audio_server: AudioServer) -> None:
    """Item 1: a key that posts another client's (source, call id, recording id) first does not take it."""
    client, url = app.client, "/v1/voicemails"
    thief, owner = (
        app.create_key("ingest", "iso-thief")["key"],
        app.create_key("ingest", "iso-owner")["key"],
    )
    call = {"external_id": f"CA-{uuid.uuid4().hex[:8]}", "source": "crm"}
    body = {"audio_url": f"{audio_server.url}/missing-iso.wav", "recording_id": "RE1"}
    first = client.post(url, json={**body, "call": {**call, "from": "+12125550111"}}, headers=_h(thief))
    assert first.status_code == 202 and "idempotent-replayed" not in first.headers
    mine = client.post(url, json={**body, "call": {**call, "from": "+12125550134"}}, headers=_h(owner))
    assert mine.status_code == 202
    assert "idempotent-replayed" not in mine.headers, "the real sender was told its message already exists"
    assert mine.json()["id"] != first.json()["id"]
    got = client.get(f"{url}/{mine.json()['id']}", headers=_h(owner))
    assert got.status_code == 200 and got.json()["call"]["from_number"] == "+12125550134"
    # Each key's repeat is its own voicemail again; agents see both, each with its own caller.
    again = client.post(url, json={**body, "call": call}, headers=_h(owner))
    assert again.json()["id"] == mine.json()["id"] and again.headers["idempotent-replayed"] == "true"
    again = client.post(url, json={**body, "call": call}, headers=_h(thief))
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
    assert app.get(first.json()["id"])["call"]["from_number"] == "+12125550111"
    assert app.get(mine.json()["id"])["call"]["from_number"] == "+12125550134"
    # Idempotency-Key still works per key.
    idem = {**_h(owner), "Idempotency-Key": f"idem-{uuid.uuid4().hex}"}
    a = client.post(url, json={**body, "recording_id": "RE2", "call": call}, headers=idem)
    b = client.post(url, json={**body, "recording_id": "RE2", "call": call}, headers=idem)
    assert a.json()["id"] == b.json()["id"] and b.headers["idempotent-replayed"] == "true"


def test_call_records_belong_to_their_key(app: LocalServer, audio_server: AudioServer) -> None:
    """Item 2: the same source and call id from two keys are two call records; nothing is shown or merged
    across them."""
    client, url = app.client, "/v1/voicemails"
    a, b = (
        app.create_key("ingest", "iso-a")["key"],
        app.create_key("ingest", "iso-b")["key"],
    )
    ext = f"CA-{uuid.uuid4().hex[:8]}"
    audio = f"{audio_server.url}/missing-iso2.wav"
    private = {
        "external_id": ext,
        "source": "crm",
        "from": "+12125550177",
        "to": "+12125550100",
        "mailbox": "vip",
        "metadata": {"account": "secret-123"},
    }
    ra = client.post(url, json={"audio_url": audio, "call": private, "recording_id": "A"}, headers=_h(a))
    rb = client.post(
        url,
        json={
            "audio_url": audio,
            "recording_id": "B",
            "call": {"external_id": ext, "source": "crm", "metadata": {"injected": True}},
        },
        headers=_h(b),
    )
    assert ra.status_code == rb.status_code == 202
    seen_by_b = client.get(f"{url}/{rb.json()['id']}", headers=_h(b)).json()["call"]
    assert seen_by_b["from_number"] is None and seen_by_b["mailbox"] is None
    assert seen_by_b["metadata"] == {"injected": True}
    call_a = app.get(ra.json()["id"])["call"]
    assert call_a["id"] != seen_by_b["id"]
    assert call_a["metadata"] == {"account": "secret-123"} and call_a["mailbox"] == "vip"
    # B cannot read A's call record, and its own shows only its own voicemail.
    calls = "/v1/calls/"
    assert client.get(calls + call_a["id"], headers=_h(b)).status_code == 404
    own = client.get(calls + seen_by_b["id"], headers=_h(b))
    assert own.status_code == 200 and [v["id"] for v in own.json()["voicemails"]] == [rb.json()["id"]]
    # A second recording of A's call still joins A's record, and fills its empty fields.
    rc = client.post(
        url,
        json={
            "audio_url": audio,
            "call": {"external_id": ext, "source": "crm", "duration_s": 12},
            "recording_id": "A2",
        },
        headers=_h(a),
    )
    joined = app.get(rc.json()["id"])["call"]
    assert joined["id"] == call_a["id"] and joined["duration_s"] == 12 and joined["mailbox"] == "vip"


def test_reading_a_shared_call_writes_nothing(tmp_path: Path) -> None:
    """Item 3: a call record that holds voicemails of two keys (as data from before 0010 can) is read by
    one of them without reassigning the relationship: 200, its own voicemails, the other's untouched."""
    from voice.storage.models import AuditEvent, Voicemail
    from voice.storage.voicemails import CallInfo, create_voicemail

    with local_app(tmp_path) as (client, sm, _):
        key_a, secret_a = new_key(sm)
        key_b, _ = new_key(sm)
        with sm() as session:
            call = CallInfo(external_id="CA-shared", source="crm")
            va = create_voicemail(session, call, audio_url="https://x.example/a", api_key_id=key_a).id
            vb = create_voicemail(session, CallInfo(), audio_url="https://x.example/b", api_key_id=key_b).id
            call_id = session.scalar(select(Voicemail.call_id).where(Voicemail.id == va))
            session.execute(update(Voicemail).where(Voicemail.id == vb).values(call_id=call_id))
            session.commit()
        r = client.get(f"/v1/calls/{call_id}", headers=_h(secret_a))
        assert r.status_code == 200, r.text
        assert [v["id"] for v in r.json()["voicemails"]] == [va]
        with sm() as session:
            assert session.scalar(select(Voicemail.call_id).where(Voicemail.id == vb)) == call_id
            reads = session.scalars(select(AuditEvent.voicemail_id).where(AuditEvent.action == "read")).all()
            assert list(reads) == [va]


@pytest.mark.parametrize("keyless", [False, True])
def test_store_dedupes_per_key(sm: sessionmaker[Session], keyless: bool) -> None:
    """Items 1 and 2 in the data layer, SQLite and PostgreSQL; voicemails made without a key (CLI, a
    Twilio account without a key name) still dedupe among themselves although NULLs are distinct in
    PostgreSQL's unique constraints."""
    from voice.storage.models import ApiKey, CallRecord
    from voice.storage.voicemails import CallInfo, create_voicemail

    with sm() as session:
        for kid in ("a" * 32, "b" * 32):
            session.add(
                ApiKey(
                    id=kid,
                    name=kid[:3],
                    role="ingest",
                    prefix=kid[:12],
                    secret_hash="x",
                    webhook_secret="whsec_x",
                )
            )
        session.commit()
        owner = None if keyless else "a" * 32
        call = CallInfo(
            external_id="CA1", source="twilio", from_number="+12125550134", metadata={"private": 1}
        )
        first = create_voicemail(
            session, call, audio_url="https://x.example/1", recording_id="R", api_key_id=owner
        )
        repeat = create_voicemail(
            session, call, audio_url="https://x.example/1", recording_id="R", api_key_id=owner
        )
        assert first.created and not repeat.created and repeat.id == first.id
        other = create_voicemail(
            session,
            CallInfo(external_id="CA1", source="twilio", metadata={"x": 2}),
            audio_url="https://x.example/1",
            recording_id="R",
            api_key_id="b" * 32,
        )
        assert other.created and other.id != first.id
        second = create_voicemail(
            session, call, audio_url="https://x.example/2", recording_id="R2", api_key_id=owner
        )
        session.commit()
        calls = {c.owner: c for c in session.scalars(select(CallRecord))}
        assert len(calls) == 2
        mine, theirs = calls[owner or ""], calls["b" * 32]
        assert mine.meta == {"private": 1} and mine.from_number == "+12125550134"
        assert theirs.meta == {"x": 2} and theirs.from_number is None
        assert {v.id for v in mine.voicemails} == {first.id, second.id}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_migration_0010_splits_shared_calls(dialect: str, tmp_path: Path) -> None:
    """Existing rows migrate: a call record two keys shared becomes one per key, each with its own
    voicemails; dedupe keys gain their key; and the downgrade puts one record back."""
    from sqlalchemy import create_engine, text

    from tests.support.services import temp_postgres
    from voice.storage import db

    with contextlib.ExitStack() as stack:
        url = (
            stack.enter_context(temp_postgres("voice_m0010"))
            if dialect == "postgresql"
            else f"sqlite:///{tmp_path / 'voice.db'}"
        )
        db.upgrade(url, "0009")
        engine = create_engine(url)
        stack.callback(engine.dispose)
        now = "2026-11-23 09:00:00"
        with engine.begin() as conn:
            for kid in ("a" * 32, "b" * 32):
                conn.execute(
                    text(
                        "INSERT INTO api_keys (id, name, role, prefix, secret_hash, webhook_secret, "
                        "created_at) VALUES (:k, :k, 'ingest', :p, 'x', 'whsec_x', :t)"
                    ),
                    {"k": kid, "p": kid[:12], "t": now},
                )
            conn.execute(
                text(
                    "INSERT INTO call_records (id, external_id, source, from_number, metadata, created_at) "
                    "VALUES ('c1', 'CA1', 'crm', '+12125550134', '{\"a\": 1}', :t)"
                ),
                {"t": now},
            )
            for vm, key, at in (
                ("v1", "a" * 32, "09:00:01"),
                ("v2", "b" * 32, "09:00:02"),
                ("v3", None, "09:00:03"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO voicemails (id, call_id, status, source_info, attempts, api_key_id, "
                        "dedupe_key, agent_state, created_at, updated_at) "
                        "VALUES (:v, 'c1', 'done', '{}', 0, :k, :d, 'new', :t, :t)"
                    ),
                    {"v": vm, "k": key, "d": f"crm|CA1|{vm}", "t": f"2026-11-23 {at}"},
                )
        db.upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT v.id, v.dedupe_key, c.id, c.owner, c.from_number FROM voicemails v "
                    "JOIN call_records c ON c.id = v.call_id ORDER BY v.id"
                )
            ).all()
        by_vm = {r[0]: r for r in rows}
        assert by_vm["v1"][2] == "c1" and by_vm["v1"][3] == "a" * 32
        assert by_vm["v2"][2] != "c1" and by_vm["v2"][3] == "b" * 32 and by_vm["v2"][4] == "+12125550134"
        assert by_vm["v3"][3] == "" and len({r[2] for r in rows}) == 3
        assert by_vm["v1"][1] == f"{'a' * 32}|crm|CA1|v1" and by_vm["v3"][1] == "|crm|CA1|v3"
        db.downgrade(url, "0009")
        with engine.connect() as conn:
            calls = conn.execute(text("SELECT DISTINCT call_id FROM voicemails")).all()
            keys = conn.execute(text("SELECT dedupe_key FROM voicemails ORDER BY id")).scalars().all()
        assert len(calls) == 1 and keys == ["crm|CA1|v1", "crm|CA1|v2", "crm|CA1|v3"]


def test_list_by_ids_shows_only_those_and_only_ones_own(tmp_path: Path) -> None:
    """`GET /v1/voicemails?id=..` (voice submit polls with it): exactly the ids asked for, even when they are
    not the newest, and another key's id is simply absent (no 404, no hint)."""
    with local_app(tmp_path) as (client, sm, _):
        _, mine = new_key(sm)
        _, other = new_key(sm)
        body = {"audio_url": "https://pbx.example.com/rec.wav"}
        own = [client.post("/v1/voicemails", json=body, headers=_h(mine)).json()["id"] for _ in range(4)]
        theirs = client.post("/v1/voicemails", json=body, headers=_h(other)).json()["id"]
        asked = [own[0], own[1], theirs, "0" * 32]
        r = client.get("/v1/voicemails", params=[("id", i) for i in asked], headers=_h(mine))
        assert r.status_code == 200, r.text
        assert sorted(vm["id"] for vm in r.json()["items"]) == sorted(own[:2])
        too_many = [("id", uuid.uuid4().hex) for _ in range(101)]
        assert client.get("/v1/voicemails", params=too_many, headers=_h(mine)).status_code == 422


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_an_upload_file_name_with_control_characters_is_stored_cleaned(dialect: str, tmp_path: Path) -> None:
    """The file name is informational: a NUL in it (a 500 on PostgreSQL) is dropped, the voicemail kept."""
    from tests.support.services import temp_postgres

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(temp_postgres("voice_iso")) if dialect == "postgresql" else None
        overrides = {"database_url": url} if url else {}
        with local_app(tmp_path, **overrides) as (client, sm, _):
            _, key = new_key(sm)
            # Raw bytes: httpx would percent-encode the name, as browsers do; a hostile client need not.
            body = (
                b'--b0\r\nContent-Disposition: form-data; name="file"; filename="a\x00b\x01c.wav"\r\n'
                b"Content-Type: audio/wav\r\n\r\nRIFF....WAVE" + b"\0" * 64 + b"\r\n--b0--\r\n"
            )
            headers = {**_h(key), "Content-Type": "multipart/form-data; boundary=b0"}
            r = client.post("/v1/voicemails", content=body, headers=headers)
            assert r.status_code == 202, r.text
            from voice.storage.models import Voicemail

            with sm() as session:
                assert (
                    session.scalar(select(Voicemail.original_filename).where(Voicemail.id == r.json()["id"]))
                    == "abc.wav"
                )
