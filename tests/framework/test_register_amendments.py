"""The register in the application database: load, propose, approve, reject, versions, history.

Every test runs on SQLite and, when SAFER_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from framework_helpers import Editor, entry
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from safer_communities.cli.framework import _parse_set
from safer_communities.errors import InputError, NoDataError, NotFoundError, PermissionDeniedError
from safer_communities.framework import amendments, register, roles
from safer_communities.framework.amendments import Change
from safer_communities.framework.loader import (
    FrameworkInvalidError,
    read_framework,
    shipped_path,
    write_framework,
)
from safer_communities.framework.model import KINDS
from safer_communities.store.app_db import open_app_db, session_scope
from safer_communities.store.app_models import FrameworkAmendment, FrameworkVersion
from safer_communities.web import accounts

DIRECTOR = "Director of Public Health, Wellbeing and Communities"
CONSULTED = amendments.Consultation("Cabinet Member for Community and Cultural Services", date.today(),
                                    "Agreed.")


@pytest.fixture
def engine(app_db_url: str) -> Iterator[Engine]:
    engine = open_app_db(app_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    outcome = amendments.load(engine, read_framework(shipped_path()), by="Loader", origin="shipped")
    assert outcome.published_version == 1 and outcome.changes == 82  # 77 entries and 5 rules
    for name in ("Clare Platt", "Analyst", "A", "Loader"):
        accounts.add_user(engine, name, roles=["editor"], password=None, by="tests")
    accounts.add_user(engine, "admin", roles=["admin"], password=None, by="tests")
    return engine


def _bytes(folder: Path) -> dict[str, bytes]:
    return {kind: (folder / f"{kind}.yaml").read_bytes() for kind in KINDS}


def test_empty_register_says_so(engine: Engine) -> None:
    with pytest.raises(NoDataError, match="no version has been published"):
        register.read_version(engine)


def test_load_then_export_is_byte_identical(loaded: Engine, tmp_path: Path) -> None:
    number, framework = register.read_version(loaded)
    assert number == 1
    write_framework(framework, tmp_path)
    assert _bytes(tmp_path) == _bytes(shipped_path())


def test_broken_files_load_nothing(engine: Engine, register_dir: Path, edit: Editor) -> None:
    edit("activities", lambda es: entry(es, "freedom-programme").update(services=["ghost"]))
    with pytest.raises(FrameworkInvalidError):
        amendments.load(engine, read_framework(register_dir), by="Loader", origin="broken")
    with session_scope(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(FrameworkVersion)) == 0


def test_amendment_workflow(loaded: Engine, tmp_path: Path) -> None:
    new_description = ("Domestic abuse as defined by the Domestic Abuse Act 2021 s1, including teenage "
                       "relationship abuse.")
    first = amendments.propose(loaded, by="Clare Platt", reason="Name teenage relationship abuse.",
                               changes=[Change("issues", "domestic-abuse", "update",
                                               {"description": new_description})])
    # nothing is published until approved
    assert register.read_version(loaded)[0] == 1

    # approval by someone without the role is refused, and changes nothing
    with pytest.raises(PermissionDeniedError, match="does not hold the 'approver' role") as info:
        amendments.approve(loaded, first, by="Clare Platt")
    assert "nobody yet" in info.value.found
    assert register.read_version(loaded)[0] == 1

    roles.grant(loaded, DIRECTOR, by="admin")
    assert roles.holders(loaded) == [DIRECTOR]
    version = amendments.approve(loaded, first, by=DIRECTOR, consultation=CONSULTED)
    assert version == 2
    number, framework = register.read_version(loaded)
    assert number == 2 and framework.get("issues", "domestic-abuse").description == new_description

    # a second proposal is rejected and never reaches a version
    second = amendments.propose(loaded, by="Analyst", reason="Drop road safety.",
                                changes=[Change("duties", "road-safety-duty", "update",
                                                {"lead_service": None})])
    assert amendments.history(loaded)[-1].route.decision == "cabinet"  # a statutory duty
    amendments.reject(loaded, second, by=DIRECTOR, note="The council is the highway authority.")
    assert register.read_version(loaded)[0] == 2
    with pytest.raises(InputError, match="already been rejected"):
        amendments.approve(loaded, second, by=DIRECTOR, consultation=CONSULTED)

    with session_scope(loaded) as session:
        row = session.get(FrameworkAmendment, first)
        assert row.status == "approved" and row.decided_by == DIRECTOR and row.published_version == 2
        assert "recommendation (ii)" in row.authority and DIRECTOR in row.authority
        assert row.consulted == "Cabinet Member for Community and Cultural Services"
        assert session.get(FrameworkAmendment, second).status == "rejected"

    # version 1 is still reproduced exactly
    write_framework(register.read_version(loaded, 1)[1], tmp_path / "v1")
    assert _bytes(tmp_path / "v1") == _bytes(shipped_path())

    views = amendments.history(loaded)
    assert [(v.id, v.status, v.published_version) for v in views] == [(first, "approved", 2),
                                                                        (second, "rejected", None)]
    assert views[0].diff.startswith("--- v1/issues.yaml\n+++ v2/issues.yaml\n")
    assert "+  description: Domestic abuse as defined by the Domestic Abuse Act 2021 s1" in views[0].diff
    assert "-  lead_service: road-safety-team" in views[1].diff
    assert [v.number for v in register.list_versions(loaded)] == [1, 2]
    assert register.list_versions(loaded)[1].amendment_id == first


def test_invalid_proposal_is_refused(loaded: Engine) -> None:
    with pytest.raises(FrameworkInvalidError) as info:
        amendments.propose(loaded, by="A", reason="r",
                           changes=[Change("activities", "freedom-programme", "update",
                                           {"approaches": ["punishment"]})])
    assert info.value.problems[0].field == "approaches.0"
    with pytest.raises(NotFoundError):
        amendments.propose(loaded, by="A", reason="r", changes=[Change("issue", "nope", "remove")])
    with pytest.raises(InputError, match="needs a reason"):
        amendments.propose(loaded, by="A", reason=" ", changes=[Change("issue", "asb", "remove")])
    # removing a service still used by activities breaks references: refused
    with pytest.raises(FrameworkInvalidError):
        amendments.propose(loaded, by="A", reason="r",
                           changes=[Change("services", "public-health", "remove")])


def test_add_and_remove_entries(loaded: Engine) -> None:
    roles.grant(loaded, DIRECTOR, by="admin")
    new_partner = {"name": "Lancashire Victim Services", "category": "voluntary-sector",
                   "description": "Support for victims of crime.",
                   "source": {"type": "proposed", "reason": "Commissioned by the PCC."}}
    added = amendments.propose(loaded, by="A", reason="Add victim services.",
                               changes=[Change("partners", "victim-services", "add", new_partner)])
    assert amendments.approve(loaded, added, by=DIRECTOR, consultation=CONSULTED) == 2
    removed = amendments.propose(loaded, by="A", reason="Merged.",
                                 changes=[Change("partners", "victim-services", "remove")])
    assert amendments.approve(loaded, removed, by=DIRECTOR, consultation=CONSULTED) == 3
    assert register.read_version(loaded, 2)[1].get("partners", "victim-services") is not None
    assert register.read_version(loaded)[1] == register.read_version(loaded, 1)[1]


def test_loading_changed_files_proposes_instead_of_publishing(loaded: Engine, register_dir: Path,
                                                             edit: Editor) -> None:
    edit("services", lambda es: entry(es, "trading-standards").update(directorate="Environment"))
    outcome = amendments.load(loaded, read_framework(register_dir), by="Loader", origin="edited")
    assert outcome.published_version is None and outcome.changes == 1
    assert register.read_version(loaded)[0] == 1
    [view] = amendments.history(loaded)
    assert view.changes == [Change("services", "trading-standards", "update", {"directorate": "Environment"})]
    assert "+  directorate: Environment" in view.diff
    # loading the same files as published changes nothing
    assert amendments.load(loaded, read_framework(shipped_path()), by="L", origin="o").amendment_id is None


def test_stale_amendment_is_refused_on_approval(loaded: Engine) -> None:
    roles.grant(loaded, DIRECTOR, by="admin")
    remove = amendments.propose(loaded, by="A", reason="r", changes=[Change("evidence",
                                "lancashire-community-safety-agreement", "remove")])
    update = amendments.propose(loaded, by="A", reason="r", changes=[Change("evidence",
                                "lancashire-community-safety-agreement", "update", {"link": "https://x"})])
    amendments.approve(loaded, remove, by=DIRECTOR, consultation=CONSULTED)
    with pytest.raises(NotFoundError):
        amendments.approve(loaded, update, by=DIRECTOR, consultation=CONSULTED)
    assert register.read_version(loaded)[0] == 2


def test_merge_patch() -> None:
    patched = amendments.merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"a": None, "b": {"c": 5}})
    assert patched == {"b": {"c": 5, "d": 3}}
    assert amendments.merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}


patch_values = st.recursive(st.one_of(st.integers(), st.text(max_size=5), st.booleans()),
                            lambda inner: st.dictionaries(st.text(max_size=3), inner, max_size=3),
                            max_leaves=8)


@settings(deadline=None)
@given(target=st.dictionaries(st.text(max_size=3), patch_values, max_size=4),
       patch=st.dictionaries(st.text(max_size=3), patch_values, max_size=4))
def test_merge_patch_sets_every_key_it_names(target: dict, patch: dict) -> None:
    result = amendments.merge_patch(target, patch)
    for key, value in patch.items():
        if not isinstance(value, dict):
            assert result[key] == value
    assert set(result) == set(target) | set(patch)


@settings(deadline=None)
@given(text=st.text(max_size=40))
def test_set_option_parser_accepts_or_refuses_cleanly(text: str) -> None:
    try:
        parsed = _parse_set([text])
    except InputError:
        return
    field = text.partition("=")[0].strip()
    assert list(parsed) == [field]
