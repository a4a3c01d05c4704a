"""The needs assessment's link to delivery: for each issue, the strategy objectives and actions that serve it.

The links arrive as plain records (``strategy.links.by_issue``) passed in by the caller, so publishing
never opens the application database itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from safer_communities.publish.document import BulletList, Paragraph, Section


def _due(value: Any) -> str:
    return value.strftime("%d %b %Y") if isinstance(value, date) else "no due date"


def strategy_subsection(section: Section, links: dict[str, list[dict[str, Any]]] | None, issue: str) -> None:
    """Add 'What the strategy does' to an issue's section; nothing when no strategy register was given."""
    if links is None:
        return
    sub = section.sub("What the strategy does")
    objectives = links.get(issue, [])
    if not objectives:
        sub.add(Paragraph("No objective in the loaded strategies addresses this issue.", kind="note"))
        return
    for item in objectives:
        name = item["strategy"]
        if item["illustrative"] and "illustrative" not in name.lower():
            name += " (illustrative example)"
        sub.add(Paragraph(f"{name}: objective \u2018{item['objective']}\u2019."))
        actions = [
            f"{a['title']}: owner {a['owner'] or 'none recorded'}, due {_due(a['due'])}, {a['status']}."
            for a in item["actions"]
        ]
        if actions:
            sub.add(BulletList(actions))
        else:
            sub.add(Paragraph("No actions recorded for this objective yet.", kind="note"))
