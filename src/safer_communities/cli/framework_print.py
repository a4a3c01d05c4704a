"""How `safer framework show` prints an entry's links: strategy objectives and actions, a partner's
information sharing, lists of names."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.markup import escape

from safer_communities.cli.common import console


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def print_sharing(sharing: dict[str, Any]) -> None:
    role = " (a Serious Violence Duty specified authority)" if sharing["specified_authority"] else ""
    console.print(f"[bold]information sharing[/]{escape(role)}", markup=True)
    if not sharing["agreements"]:
        console.print("  no agreement" + ("; 'framework check' reports it" if role else ""), highlight=False,
                      markup=False)
    for a in sharing["agreements"]:
        state = "in force" if a["in_force"] else f"not in force: {a['why_not']}"
        console.print(f"  {a['id']}: {a['title']} ({state}; review by {_day(a['review_date'])}; "
                      f"retention {a['retention_days']} days)", highlight=False, markup=False)
        for f in a["feeds"] or [None]:
            text = ("no feed loaded" if f is None else
                    f"{f['schema']}: {f['rows']:,} records, {_day(f['first'])} to {_day(f['last'])}"
                    + (" (SYNTHETIC)" if f["synthetic"] else ""))
            console.print(f"    {text}", highlight=False, markup=False)


def print_strategy_links(objectives: list[dict[str, Any]]) -> None:
    """The strategy objectives and actions that serve an issue (or say there are none loaded)."""
    console.print("[bold]strategy objectives and actions[/]", markup=True)
    if not objectives:
        console.print("  none: no loaded strategy has an objective for this issue ('safer strategy load')",
                      highlight=False, markup=False)
    for item in objectives:
        marked = not item["illustrative"] or "illustrative" in item["strategy"].lower()
        label = "" if marked else " [illustrative example]"
        console.print(f"  {item['strategy']}{label}: {item['objective']}", highlight=False, markup=False)
        for action in item["actions"]:
            owner = action["owner"] or "NO OWNER"
            console.print(f"    - {action['title']} ({owner}; due {action['due']}; {action['status']})",
                          highlight=False, markup=False)


def names_of(items: Any) -> str:
    if items is None:
        return ""
    if isinstance(items, dict):
        items = [items]
    return "; ".join(f"{i['name']}" + (" [proposed]" if i.get("source") == "proposed" else "") for i in items)


def text_of(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(text_of(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)
