"""The web cache: answers equal uncached ones, and every change to their inputs shows at once, through
any worker (an ingest, a strategy load, an action edit, a framework approval)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import SECRET, login

from safer_communities.config import Settings
from safer_communities.store import generation
from safer_communities.store.app_db import make_engine, upgrade
from safer_communities.web import cache

SID = "example-community-safety-agreement"
AID = "family-hubs-outreach"  # in-progress in the example strategy
PAGES = ["/", "/?issue=asb&area=E07000117", "/issues/violence", "/issues/domestic-abuse", "/strategy",
         "/quality", "/framework", "/areas/E07000117"]
API = ["/api/v1/strategy/status", "/api/v1/evidence/rates?issue=violence",
       "/api/v1/evidence/trend?issue=asb&area=E07000117", "/api/v1/evidence/map?issue=violence",
       "/api/v1/evidence/hotspots?issue=violence&area=E07000117"]
REPO = Path(__file__).resolve().parents[2]


def _app(store: Path, app_db: Path, **overrides: object) -> FastAPI:
    from safer_communities.web.app import create_app

    return create_app(Settings(db=store, app_db_url=f"sqlite:///{app_db}", secret_key=SECRET, **overrides))


def _signed_in(app: FastAPI, name: str) -> TestClient:
    client = TestClient(app)
    assert login(client, name).status_code == 303
    return client


def _action_status(client: TestClient) -> str:
    body = client.get("/api/v1/strategy/status").json()
    actions = body["strategies"][0]["actions"]
    return next(a["status"] for a in actions if a["action_id"] == AID)


# ---------------------------------------------------------------------------------------- the stamp


def test_every_table_is_watched_or_volatile(app_db_url: str) -> None:
    """A table no list names is an input nobody classified: it would leave pages stale after an edit."""
    upgrade(app_db_url)
    engine = make_engine(app_db_url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
        unclassified = tables - set(generation.WATCHED) - set(generation.VOLATILE)
        assert not unclassified, f"classify in store/generation.py (watch() in a migration): {unclassified}"
        assert generation.watched_tables(engine) == set(generation.WATCHED) & tables
        assert set(generation.WATCHED) <= tables
    finally:
        engine.dispose()


def test_the_stamp_moves_with_every_change_to_an_input_and_only_then(app_db_url: str) -> None:
    from safer_communities.web import accounts, audit

    upgrade(app_db_url)
    engine = make_engine(app_db_url)
    try:
        first = generation.read_stamp(engine)
        accounts.add_user(engine, "someone", roles=["viewer"], password=None, by="tests")
        audit.record(engine, actor="someone", action="sign_in", obj="", ip="127.0.0.1", detail="")
        assert generation.read_stamp(engine) == first  # users and the audit log feed no cached answer
        seen = {first}
        with engine.begin() as con:
            con.execute(sa.text("INSERT INTO framework_versions (number, published_at, published_by, note) "
                                "VALUES (99, CURRENT_TIMESTAMP, 'tests', 'X')"))
        seen.add(generation.read_stamp(engine))
        with engine.begin() as con:
            con.execute(sa.text("UPDATE framework_versions SET note = 'Y' WHERE number = 99"))
        seen.add(generation.read_stamp(engine))
        with engine.begin() as con:
            con.execute(sa.text("DELETE FROM framework_versions WHERE number = 99"))
        seen.add(generation.read_stamp(engine))
        assert len(seen) == 4  # insert, update and delete each gave a new stamp
    finally:
        engine.dispose()


# --------------------------------------------------------------------- cached equals uncached


def test_cached_answers_equal_uncached_ones(login_as: Callable[[str], TestClient]) -> None:
    client = login_as("editor")
    for path in PAGES + API:
        first = client.get(path)
        again = client.get(path)  # from the cache
        with cache.bypassed():
            fresh = client.get(path)
        assert first.status_code == again.status_code == fresh.status_code, path
        assert again.content == fresh.content == first.content, path
    assert cache.CACHE.stats()["hits"] > 0


def test_pages_carry_each_browsers_own_csrf_token(app: FastAPI) -> None:
    editor, other = _signed_in(app, "editor"), _signed_in(app, "editor")
    mine, theirs = editor.get("/strategy").text, other.get("/strategy").text
    token = editor.cookies.get("safer_csrf")
    assert token and mine != theirs  # the same cached page, each with its own token
    from web_helpers import csrf_from

    assert csrf_from(mine) != csrf_from(theirs)
    assert "csrf-" not in csrf_from(mine) and csrf_from(mine) in mine
    # The token in the cached page is the one the browser's cookie carries: the form still posts.
    response = editor.post(f"/strategy/actions/{SID}/{AID}", data={"status": "delayed",
                                                                   "csrf_token": csrf_from(mine)},
                           follow_redirects=False)
    assert response.status_code == 303


def test_a_page_is_never_sent_to_another_user(login_as: Callable[[str], TestClient]) -> None:
    viewer, editor = login_as("viewer"), login_as("editor")
    assert "Signed in as <strong>editor</strong>" in editor.get("/strategy").text
    page = viewer.get("/strategy").text
    assert "Signed in as <strong>viewer</strong>" in page and "Signed in as <strong>editor" not in page
    assert f'action="/strategy/actions/{SID}/{AID}"' not in page  # the editor's forms are the editor's


# ------------------------------------------------------------------------------------ invalidation


def test_an_action_edit_through_one_worker_shows_at_once_through_another(
        tmp_path: Path, demo_store: Path, template_app_db: Path) -> None:
    shared = tmp_path / "app.sqlite"
    shutil.copy(template_app_db, shared)
    one, two = _signed_in(_app(demo_store, shared), "editor"), _signed_in(_app(demo_store, shared), "editor")
    assert _action_status(one) == _action_status(two) == "in-progress"
    assert 'value="in-progress" selected' in two.get("/strategy").text
    csrf = one.cookies.get("safer_csrf")
    assert csrf
    token = one.get("/strategy").text.split('name="csrf_token" value="')[1].split('"')[0]
    changed = one.patch(f"/api/v1/strategy/actions/{SID}/{AID}", json={"status": "complete"},
                        headers={"X-CSRF-Token": token})
    assert changed.status_code == 200, changed.text
    assert _action_status(two) == "complete"
    row = two.get("/strategy").text.split(f'id="action-{SID}-{AID}"')[1].split("</tr>")[0]
    assert 'value="complete" selected' in row and 'value="in-progress" selected' not in row


def test_an_edit_by_another_process_shows_at_once(tmp_path: Path, demo_store: Path,
                                                  template_app_db: Path) -> None:
    """Another worker (or the CLI) writes the app database: this process's cache must not hide it."""
    shared = tmp_path / "app.sqlite"
    shutil.copy(template_app_db, shared)
    client = _signed_in(_app(demo_store, shared), "viewer")
    assert _action_status(client) == "in-progress"
    code = ("import sys; from safer_communities.store.app_db import make_engine; "
            "from safer_communities.strategy.updates import update_action; "
            f"update_action(make_engine(sys.argv[1]), {SID!r}, {AID!r}, status='delayed')")
    subprocess.run([sys.executable, "-c", code, f"sqlite:///{shared}"], check=True,
                   env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
    assert _action_status(client) == "delayed"


def test_a_strategy_load_shows_at_once(tmp_path: Path, demo_store: Path, template_app_db: Path) -> None:
    from safer_communities.store.evidence import connect
    from safer_communities.strategy import loader

    shared = tmp_path / "app.sqlite"
    shutil.copy(template_app_db, shared)
    app = _app(demo_store, shared)
    client = _signed_in(app, "viewer")
    assert "Reduce violence, Lancashire-wide" not in client.get("/strategy").text
    example = Path(loader.__file__).with_name("data") / "lancashire-example.yaml"
    text = example.read_text()
    assert text.count("title: Early help for families where violence is a risk") == 1  # an action's title
    edited = tmp_path / "strategy.yaml"
    edited.write_text(text.replace("Early help for families where violence is a risk",
                                   "Reduce violence, Lancashire-wide"))
    con = connect(demo_store, read_only=True)
    try:
        loader.load(app.state.engine, con, edited, by="tests")
    finally:
        con.close()
    page = client.get("/strategy").text
    assert "Reduce violence, Lancashire-wide" in page
    with cache.bypassed():
        assert client.get("/strategy").text.count("Reduce violence") == page.count("Reduce violence")


def test_a_framework_approval_shows_at_once(app: FastAPI, login_as: Callable[[str], TestClient]) -> None:
    from safer_communities.framework import amendments
    from safer_communities.framework.amendments import Change, Consultation

    viewer = login_as("viewer")
    assert "<h1>Framework register, version 1</h1>" in viewer.get("/framework").text
    before = viewer.get("/issues/asb").text
    number = amendments.propose(app.state.engine, by="editor", reason="Clearer wording.",
                                changes=[Change("issues", "asb", "update",
                                                {"description": "Nuisance as residents describe it."})])
    amendments.approve(app.state.engine, number, by="approver",
                       consultation=Consultation("Cabinet Member", date.today(), "Agreed."))
    assert "<h1>Framework register, version 2</h1>" in viewer.get("/framework").text
    after = viewer.get("/issues/asb").text
    assert "Nuisance as residents describe it." in after and after != before


def test_an_ingest_shows_at_once(tmp_path: Path, demo_store: Path, template_app_db: Path) -> None:
    from safer_communities.ingest.runner import run_ingest

    store, shared = tmp_path / "store.duckdb", tmp_path / "app.sqlite"
    shutil.copy(demo_store, store)
    shutil.copy(template_app_db, shared)
    client = _signed_in(_app(store, shared), "viewer")
    before = client.get("/quality").text
    assert "Cumbria" not in before
    rates = client.get("/api/v1/evidence/rates", params={"issue": "violence"}).json()
    run_ingest(store, "police-uk", [REPO / "tests" / "data" / "police-uk" / "multi-force"])
    after = client.get("/quality").text
    assert "Cumbria" in after
    with cache.bypassed():
        assert client.get("/quality").text == after
        fresh = client.get("/api/v1/evidence/rates", params={"issue": "violence"}).json()
    assert client.get("/api/v1/evidence/rates", params={"issue": "violence"}).json() == fresh
    assert fresh["meta"] != rates["meta"] or fresh["headline"] != rates["headline"]


@pytest.mark.parametrize("size", [3])
def test_the_cache_is_bounded_and_least_recently_used_goes_first(size: int) -> None:
    lru = cache.AnswerCache(max_entries=size, max_bytes=10_000)
    for k in range(size):
        lru.put(k, f"value {k}")
    assert lru.peek(0) == "value 0"  # 0 is now the most recent
    lru.put("new", "value")
    assert lru.peek(1) is None and lru.peek(0) == "value 0" and len(lru) == size
    lru.put("big", b"x" * 9_990)  # over the byte budget with the rest: the oldest go
    assert lru.stats()["bytes"] <= 10_000 and lru.peek("big") == b"x" * 9_990
