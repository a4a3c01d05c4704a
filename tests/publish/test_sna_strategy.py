"""The needs assessment lists, for each issue, the strategy objectives and actions that serve it."""

from __future__ import annotations

from datetime import date

from safer_communities.publish.document import BulletList, Paragraph, Section
from safer_communities.publish.sna_strategy import strategy_subsection

LINKS = {
    "violence": [{
        "strategy_id": "csa", "strategy": "Community Safety Agreement", "illustrative": True,
        "objective_id": "reduce-violence", "objective": "Reduce violence",
        "actions": [
            {"id": "a1", "title": "Early help", "owner": "children-and-family-wellbeing",
             "due": date(2022, 3, 31), "status": "complete"},
            {"id": "a2", "title": "Street outreach", "owner": None, "due": None, "status": "planned"},
        ],
        "indicators": [],
    }],
}


def test_objectives_and_actions_are_listed_with_owner_and_due_date() -> None:
    section = Section("Violence")
    strategy_subsection(section, LINKS, "violence")
    [sub] = section.subsections
    assert sub.title == "What the strategy does"
    paragraph, bullets = sub.blocks
    assert isinstance(paragraph, Paragraph)
    assert paragraph.text == (
        "Community Safety Agreement (illustrative example): objective \u2018Reduce violence\u2019.")
    assert isinstance(bullets, BulletList)
    assert bullets.items == [
        "Early help: owner children-and-family-wellbeing, due 31 Mar 2022, complete.",
        "Street outreach: owner none recorded, due no due date, planned.",
    ]


def test_an_issue_no_objective_serves_says_so() -> None:
    section = Section("Hate crime")
    strategy_subsection(section, LINKS, "hate-crime")
    assert section.subsections[0].blocks[0].text == (
        "No objective in the loaded strategies addresses this issue.")


def test_without_a_strategy_register_nothing_is_added() -> None:
    section = Section("Violence")
    strategy_subsection(section, None, "violence")
    assert section.subsections == []
