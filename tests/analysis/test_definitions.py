"""Issue definitions: the bundled defaults, editable versioned files, and issues with no open data."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safer_communities.analysis.definitions import load_definitions
from safer_communities.errors import InputError, NoDataError, NotFoundError

REGISTER_IDS = {
    "violence",
    "serious-violence",
    "asb",
    "serious-organised-crime",
    "road-safety",
    "domestic-abuse",
    "exploitation",
    "vawg",
    "hate-crime",
    "counter-terrorism",
    "equality-cohesion",
}


def test_defaults_cover_every_register_issue() -> None:
    defs = load_definitions()
    assert {d.issue for d in defs} == REGISTER_IDS
    assert defs.get("violence").crime_types == ("Violence and sexual offences",)
    sv = defs.get("serious-violence")
    assert sv.crime_types == ("Violence and sexual offences", "Robbery", "Possession of weapons")
    assert sv.proxy and "Proxy" in sv.caveat
    assert defs.get("asb").crime_types == ("Anti-social behaviour",)
    assert set(defs.get("serious-organised-crime").crime_types) == {"Drugs", "Possession of weapons"}
    road = defs.get("road-safety")
    assert (road.source, road.severity) == ("stats19", (1, 2))
    assert all(d.version == defs.version for d in defs)


@pytest.mark.parametrize("issue", ["domestic-abuse", "exploitation", "vawg", "hate-crime"])
def test_issues_without_open_data_say_no_data_source_loaded(issue: str) -> None:
    with pytest.raises(NoDataError, match="No data source loaded"):
        load_definitions().get(issue).require_source()


def test_unknown_issue_names_the_known_ones() -> None:
    with pytest.raises(NotFoundError) as info:
        load_definitions().get("knife-crime")
    assert "serious-violence" in (info.value.found or "")


def test_an_area_file_overrides_and_is_versioned(tmp_path: Path) -> None:
    path = tmp_path / "lancashire.yaml"
    path.write_text(
        "version: lancs-2025.2\nissues:\n  serious-violence:\n    label: Serious violence (Lancashire)\n"
        "    source: police_uk_street\n    crime_types: [Robbery, Possession of weapons]\n    proxy: true\n",
        encoding="utf-8",
    )
    defs = load_definitions(path)
    sv = defs.get("serious-violence")
    assert (sv.version, sv.crime_types) == ("lancs-2025.2", ("Robbery", "Possession of weapons"))


@pytest.mark.parametrize(
    "body, message",
    [
        ("issues: {}\n", "needs a 'version'"),
        (
            "version: 1\nissues:\n  x:\n    source: police_uk_street\n    crime_types: [Knife crime]\n",
            "crime types police.uk does not publish",
        ),
        ("version: 1\nissues:\n  x:\n    source: hospital\n", "unknown source"),
        ("version: 1\nissues:\n  x:\n    source: police_uk_street\n", "lists no crime types"),
        ("version: 1\nissues:\n  x:\n    source: stats19\n    severity: [4]\n", "severity outside"),
        ("version: 1\nissues:\n  x:\n    colour: red\n", "does not know"),
        ("version: [1\n", "not valid YAML"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "defs.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_definitions(path)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_file_loads_or_raises_input_error(tmp_path_factory: pytest.TempPathFactory, body: str) -> None:
    path = tmp_path_factory.mktemp("defs") / "defs.yaml"
    path.write_text(body, encoding="utf-8")
    try:
        defs = load_definitions(path)
    except InputError:
        return
    assert isinstance(defs.version, str)


def test_serious_violence_is_named_for_what_it_counts() -> None:
    """The police.uk proxy contains all violence, so it is never labelled as a count of serious violence."""
    defs = load_definitions()
    sv, violence = defs.get("serious-violence"), defs.get("violence")
    assert sv.label == "Violence, robbery and weapons offences (police.uk proxy for serious violence)"
    assert set(violence.crime_types) < set(sv.crime_types) and sv.proxy
    assert not sv.label.lower().startswith("serious violence")


def test_offence_code_definitions_for_a_force_extract(tmp_path: Path) -> None:
    path = tmp_path / "defs.yaml"
    path.write_text(
        "version: lancs-2026.1\nissues:\n  serious-violence:\n    label: Serious violence\n"
        "    source: force_extract\n    offence_codes: ['1', '4/1', '5A', '8N', '34A']\n",
        encoding="utf-8",
    )
    sv = load_definitions(path).get("serious-violence")
    assert sv.offence_codes == ("1", "4/1", "5A", "8N", "34A") and sv.to_dict()["offence_codes"][3] == "8N"
    with pytest.raises(NoDataError, match="No force crime extract is loaded"):  # a gap, never a zero
        sv.require_source()


@pytest.mark.parametrize(
    "body, message",
    [
        ("    source: force_extract\n", "lists no offence codes"),
        ("    source: police_uk_street\n    crime_types: [Robbery]\n    offence_codes: ['34A']\n",
         "source is 'police_uk_street'"),
        ("    source: force_extract\n    offence_codes: ['knife']\n", "not Home Office offence codes"),
    ],
)
def test_bad_offence_code_definitions_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "defs.yaml"
    path.write_text("version: 1\nissues:\n  x:\n" + body, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_definitions(path)


@settings(max_examples=80)
@given(st.lists(st.text(max_size=8), max_size=5))
def test_any_offence_codes_load_or_raise_input_error(tmp_path_factory: pytest.TempPathFactory,
                                                      codes: list[str]) -> None:
    import yaml

    path = tmp_path_factory.mktemp("codes") / "defs.yaml"
    body = {"version": "1", "issues": {"x": {"source": "force_extract", "offence_codes": codes}}}
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    try:
        defs = load_definitions(path)
    except InputError:
        return
    assert defs.get("x").offence_codes and all(c == c.strip().upper() for c in defs.get("x").offence_codes)
