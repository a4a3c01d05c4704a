"""Reading, validating and writing the register files; the published JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from framework_helpers import SEEDS, Editor, entry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safer_communities.errors import InputError
from safer_communities.framework import schema
from safer_communities.framework.loader import (
    FrameworkInvalidError,
    Problem,
    read_framework,
    read_raw,
    shipped_path,
    validate,
    write_framework,
)
from safer_communities.framework.model import KINDS

ISSUE_IDS = ["domestic-abuse", "violence", "exploitation", "serious-organised-crime", "road-safety", "asb",
             "serious-violence", "vawg", "counter-terrorism", "equality-cohesion", "hate-crime"]


def test_shipped_register_has_the_contract_issue_ids_and_every_duty() -> None:
    framework = read_framework(shipped_path())
    assert [i.id for i in framework.issues] == ISSUE_IDS
    assert {i.id for i in framework.issues if i.priority} == set(ISSUE_IDS[:7])
    # every issue is measured by the analysis definition of the same id
    assert all(i.evidence_definitions == [i.id] for i in framework.issues)
    assert framework.get("issues", "serious-violence").source.type == "legislation"
    assert len(framework.duties) == 14  # one per row of the duties table in DOMAIN.md
    citations = " ".join(d.source.citation for d in framework.duties if d.source.type == "legislation")
    for act in ("Crime and Disorder Act 1998 s17", "SI 2007/1831", "Domestic Abuse Act 2021 s57-58",
                "Counter-Terrorism and Security Act 2015 s26", "Modern Slavery Act 2015 s52",
                "Road Traffic Act 1988 s39", "Equality Act 2010 s149", "Children Act 2004 s11",
                "Care Act 2014 s42-44", "2014 s104", "Victims Act 2004 s9", "2022 Part 2 Chapter 2"):
        assert act in citations, act
    svd = framework.get("duties", "serious-violence-duty")
    assert svd.lead_service == "public-health" and svd.review_cadence == "annual"
    assert len(framework.proposed()) == 26  # 23 entries and 3 of the 5 delegation rules


def test_seed_entries_quote_their_seed() -> None:
    """A seed-sourced issue's name must appear in the seed it cites (no invented 'council text')."""
    cabinet = (SEEDS / "cabinet-report-2025-01-16.txt").read_text(encoding="utf-8")
    press = (SEEDS / "press-release-2025-01.txt").read_text(encoding="utf-8")
    framework = read_framework(shipped_path())
    for issue in framework.issues:
        if issue.source.type == "seed":
            text = cabinet if issue.source.document.startswith("Cabinet") else press
            first_word = issue.name.split()[0].lower()
            assert first_word in text.lower(), issue.id
    assert "Director of Public Health, Wellbeing and Communities" in cabinet
    assert "Children and Family Wellbeing Service" in press and "Freedom" in press


def test_round_trip_is_byte_identical(tmp_path: Path) -> None:
    framework = read_framework(shipped_path())
    write_framework(framework, tmp_path)
    for kind in KINDS:
        assert (tmp_path / f"{kind}.yaml").read_bytes() == (shipped_path() / f"{kind}.yaml").read_bytes()


def test_shipped_schema_equals_generated_and_validates_shipped_yaml() -> None:
    for kind in KINDS:
        assert schema.shipped(kind) == schema.render(kind), "run python -m safer_communities.framework.schema"
        parsed = yaml.safe_load((shipped_path() / f"{kind}.yaml").read_text(encoding="utf-8"))
        data = json.loads(json.dumps(parsed, default=str))
        jsonschema.Draft202012Validator(json.loads(schema.shipped(kind))).validate(data)


def test_schema_rejects_an_unknown_approach() -> None:
    activity_schema = json.loads(schema.shipped("activities"))
    bad = [{"id": "x", "name": "X", "source": {"type": "proposed", "reason": "r"}, "description": "d",
            "approaches": ["punishment"], "issues": ["asb"]}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, activity_schema)


def _problems(folder: Path) -> list[Problem]:
    with pytest.raises(FrameworkInvalidError) as info:
        read_framework(folder)
    return info.value.problems


def test_activity_naming_a_missing_service_is_named(register_dir: Path, edit: Editor) -> None:
    edit("activities", lambda es: entry(es, "freedom-programme").update(services=["no-such-service"]))
    assert _problems(register_dir) == [Problem("activities.yaml", "freedom-programme", "services",
                                               "'no-such-service' is not an id in services.yaml")]


def test_duplicate_id_is_refused(register_dir: Path, edit: Editor) -> None:
    edit("partners", lambda es: es.append(dict(es[0])))
    problems = _problems(register_dir)
    assert problems == [Problem("partners.yaml", "lancashire-constabulary", "id",
                                "duplicate id: each id may appear once")]


def test_unknown_approach_is_refused(register_dir: Path, edit: Editor) -> None:
    edit("activities", lambda es: entry(es, "freedom-programme").update(approaches=["support", "punishment"]))
    [problem] = _problems(register_dir)
    assert (problem.file, problem.entry, problem.field) == ("activities.yaml", "freedom-programme",
                                                            "approaches.1")
    assert "prevention" in problem.message and "enforcement" in problem.message


def test_unknown_missing_and_bad_fields_all_reported(register_dir: Path, edit: Editor) -> None:
    def breaks(es: list[dict]) -> None:
        entry(es, "road-safety-duty")["cadence"] = "yearly"
        del entry(es, "prevent-duty")["obligation"]
        entry(es, "asb-case-review")["source"] = {"type": "proposed"}

    edit("duties", breaks)
    found = {(p.entry, p.field) for p in _problems(register_dir)}
    assert found == {("road-safety-duty", "cadence"), ("prevent-duty", "obligation"),
                     ("asb-case-review", "source.proposed.reason")}


def test_missing_file_bad_yaml_and_stray_file(register_dir: Path) -> None:
    (register_dir / "evidence.yaml").unlink()
    (register_dir / "issues.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    (register_dir / "notes.yaml").write_text("[]\n", encoding="utf-8")
    problems = _problems(register_dir)
    assert [p.file for p in problems] == ["issues.yaml", "evidence.yaml", "notes.yaml"]
    assert "not valid YAML" in problems[0].message and problems[1].message == "file is missing"


def test_not_a_folder() -> None:
    with pytest.raises(InputError, match="folder of YAML files"):
        read_raw(shipped_path() / "issues.yaml")


def test_error_message_is_readable(register_dir: Path, edit: Editor) -> None:
    edit("activities", lambda es: entry(es, "freedom-programme").update(services=["nope"]))
    with pytest.raises(FrameworkInvalidError) as info:
        read_framework(register_dir)
    text = str(info.value)
    assert "nothing was loaded" in text
    assert "activities.yaml: entry 'freedom-programme', field 'services': 'nope' is not an id" in text


values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                   st.lists(st.text(max_size=10), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                                st.integers(), max_size=2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(list(KINDS)), position=st.integers(0, 3),
       field=st.sampled_from(["id", "name", "source", "approaches", "issues", "category", "duty", "date",
                              "priority", "lead_service", "age_range", "extra"]), value=values)
def test_any_edit_is_either_valid_or_refused_with_named_problems(kind: str, position: int, field: str,
                                                                  value: object) -> None:
    raw = read_raw(shipped_path())
    raw[kind][position][field] = value
    try:
        validate(raw)
    except FrameworkInvalidError as exc:
        assert exc.problems
        assert all(p.file.endswith(".yaml") and p.entry and p.field for p in exc.problems)


def test_entry_without_a_usable_id_is_named_by_position(register_dir: Path, edit: Editor) -> None:
    edit("issues", lambda es: es[2].update(id=""))
    problems = _problems(register_dir)
    assert (problems[0].file, problems[0].entry, problems[0].field) == ("issues.yaml", "#3", "id")
