"""`safer framework ...`: the register of duties, issues, services, partners and activities."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from safer_communities.cli.common import console, console_err, print_json, settings_from
from safer_communities.errors import InputError
from safer_communities.framework import amendments, checks, exports, queries, register, roles
from safer_communities.framework.loader import read_framework, shipped_path
from safer_communities.framework.model import SINGULAR
from safer_communities.store.app_db import open_app_db
from safer_communities.strategy import links as strategy_links

app = typer.Typer(
    help="The framework register: duties, issues, services, partners, activities; checks and amendments.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
VersionOpt = Annotated[int | None, typer.Option("--version", "-v",
                                               help="Published version (default: latest).")]
ByOpt = Annotated[str, typer.Option("--by", help="Your name, as recorded with the change.")]


def _login() -> str:
    """Who runs the command, when --by is not given (containers may have no user entry)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown user"


def _engine(ctx: typer.Context) -> Any:
    return open_app_db(settings_from(ctx).app_db_url)


def _published(engine: Any, number: int) -> exports.Published:
    info = next(v for v in register.list_versions(engine) if v.number == number)
    return exports.Published(number, info.published_at.date())


@app.command("load")
def load(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Folder of YAML files (default: the shipped Lancashire "
                                                     "register).", show_default=False)] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who loads it (default: your login name).")] = None,
) -> None:
    """Seed the register from YAML (first version), or propose the differences as one amendment."""
    folder = path or shipped_path()
    framework = read_framework(folder)
    outcome = amendments.load(_engine(ctx), framework, by=by or _login(), origin=str(folder))
    if outcome.published_version:
        console.print(f"Published version {outcome.published_version}: {outcome.changes} entries from "
                      f"{folder}.")
    elif outcome.amendment_id:
        console.print(f"The register is already published, so the {outcome.changes} change(s) in {folder} "
                      f"were proposed as amendment {outcome.amendment_id}. An approver publishes them with "
                      f"'safer framework approve {outcome.amendment_id} --by NAME'.")
    else:
        console.print(f"No change: {folder} matches the published register.")


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="yaml, md, html, pdf or docx.")] = "yaml",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (folder for yaml); stdout for md "
                                                                 "and html when omitted.")] = None,
    version: VersionOpt = None,
) -> None:
    """Write the published framework; YAML round-trips exactly (load, then export, gives the same bytes)."""
    engine = _engine(ctx)
    number, framework = register.read_version(engine, version)
    written, text = exports.export(framework, fmt.lower(), out, _published(engine, number))
    if text is not None:
        typer.echo(text, nl=False)
    for path in written:
        console_err.print(f"Wrote {path}", highlight=False)


@app.command("check")
def check(
    ctx: typer.Context, as_json: JsonOpt = False, version: VersionOpt = None,
    path: Annotated[Path | None, typer.Option("--path", help="Check a YAML folder instead of the "
                                                             "database.")] = None,
) -> None:
    """Run the compliance checks; exit code 1 when there are findings."""
    if path is not None:
        label, framework = str(path), read_framework(path)
    else:
        number, framework = register.read_version(_engine(ctx), version)
        label = f"version {number}"
    report = checks.check(framework)
    if path is None:  # issue 12: sharing agreements and retention of record-level partner data
        from safer_communities.framework import checks_sharing

        report = checks_sharing.extend(report, framework, _engine(ctx), settings_from(ctx).db)
    if as_json:
        print_json({"register": label, **report.to_dict()})
    else:
        console.print(f"Framework checks on {label}: {len(report.findings)} finding(s), "
                      f"{len(report.known_gaps)} known gap(s).", style="bold", highlight=False)
        for f in report.findings:
            console.print(f"{f.code}  {f.kind}/{f.entry}: {f.message}", highlight=False, markup=False)
        for gap in report.known_gaps:
            console.print(f"known gap  issues/{gap.entry}: {gap.message}", highlight=False, markup=False)
        if report.ok:
            console.print("No findings.")
    if not report.ok:
        raise typer.Exit(1)


@app.command("show")
def show(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(help="issue, duty, service, partner, activity or evidence.")],
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="The entry's id.")],
    as_json: JsonOpt = False, version: VersionOpt = None,
) -> None:
    """Show one entry and everything linked to it."""
    if what not in SINGULAR and what not in SINGULAR.values():
        raise InputError(f"Unknown kind '{what}'.", found=what, hint=f"Use one of: {', '.join(SINGULAR)}.")
    engine = _engine(ctx)
    number, framework = register.read_version(engine, version)
    result = queries.show(framework, what, entry_id)
    if SINGULAR.get(what, what) == "issues":
        # issue -> evidence -> services -> strategy actions, in one place
        result["strategy"] = strategy_links.for_issue(engine, entry_id)
    if as_json:
        print_json({"version": number, **result})
        return
    entry = result.pop("entry")
    console.print(f"[bold]{entry['name']}[/] ({result.pop('kind')} '{entry['id']}', version {number})")
    source = entry.pop("source")
    gaps = {g["approach"]: g["reason"] for g in entry.pop("gaps", [])}
    for key, value in entry.items():
        if key not in ("id", "name"):
            value = {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
            console.print(f"  {key}: {_text(value)}", highlight=False, markup=False)
    console.print(f"  {exports.source_label(framework.get(SINGULAR.get(what, what), entry_id))}",
                  highlight=False, markup=False)
    del source
    objectives = result.pop("strategy", None)
    for key, value in result.items():
        if isinstance(value, dict):
            console.print(f"[bold]{key.replace('_', ' ')}[/]")
            for sub, items in value.items():
                empty = f"none (known gap: {gaps[sub]})" if sub in gaps else "none"
                console.print(f"  {sub}: {_names(items) or empty}", highlight=False, markup=False)
        else:
            console.print(f"{key.replace('_', ' ')}: {_names(value) or 'none'}", highlight=False,
                          markup=False)
    if objectives is not None:
        _print_strategy_links(objectives)


def _print_strategy_links(objectives: list[dict[str, Any]]) -> None:
    """The strategy objectives and actions that serve an issue (or say there are none loaded)."""
    console.print("[bold]strategy objectives and actions[/]")
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


def _names(items: Any) -> str:
    if items is None:
        return ""
    if isinstance(items, dict):
        items = [items]
    return "; ".join(f"{i['name']}" + (" [proposed]" if i.get("source") == "proposed" else "") for i in items)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


@app.command("matrix")
def matrix(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, xlsx or html.")] = "csv",
    which: Annotated[str, typer.Option("--which", help="For CSV: services-issues or duties-evidence.")]
    = "services-issues",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (stdout for csv and html).")]
    = None,
    version: VersionOpt = None,
) -> None:
    """Services x issues (approaches of their activities) and duties x evidence status."""
    engine = _engine(ctx)
    number, framework = register.read_version(engine, version)
    written, text = exports.write_matrix(framework, fmt.lower(), out, _published(engine, number), which)
    if text is not None:
        typer.echo(text, nl=False)
    for path in written:
        console_err.print(f"Wrote {path}", highlight=False)


def _parse_set(values: list[str]) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    for item in values:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise InputError("--set takes FIELD=VALUE.", found=item,
                             hint="e.g. --set lead_service=public-health or --set 'issues=[asb, violence]'.")
        try:
            patch[field.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError as exc:
            raise InputError(f"The value of {field} is not valid YAML.", found=value,
                             hint="Quote text containing ':' or '#'.") from exc
    return patch


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError("The patch file cannot be read as YAML.", found=f"{path}: {exc}",
                         hint="Give a YAML mapping of field: value.") from exc
    if not isinstance(data, dict):
        raise InputError("The patch file must be a YAML mapping of field: value.", found=str(path))
    return data


@app.command("propose")
def propose(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(help="issue, duty, service, partner, activity or evidence.")],
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="The entry to change (or add).")],
    by: ByOpt,
    why: Annotated[str, typer.Option("--why", help="Why the change is needed.")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="FIELD=VALUE (YAML value); repeatable.")]
    = None,
    patch: Annotated[Path | None, typer.Option("--patch", help="YAML mapping merged into the entry.")] = None,
    add: Annotated[Path | None, typer.Option("--add", help="YAML mapping: a whole new entry.")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the entry.")] = False,
) -> None:
    """Propose a change to one entry; it is published only when an approver approves it."""
    kind = amendments.normalise_kind(what)
    if sum([bool(set_ or patch), add is not None, remove]) != 1:
        raise InputError("Give exactly one kind of change.", found="none or several of --set/--patch, --add, "
                         "--remove", hint="Update with --set or --patch, add with --add, or --remove.")
    if add is not None:
        change = amendments.Change(kind, entry_id, "add", _read_mapping(add))
    elif remove:
        change = amendments.Change(kind, entry_id, "remove")
    else:
        data = _read_mapping(patch) if patch else {}
        data.update(_parse_set(set_ or []))
        change = amendments.Change(kind, entry_id, "update", data)
    change = amendments.Change(change.kind, change.id, change.op,
                               register._jsonable(change.data))  # dates in patches become ISO text
    amendment_id = amendments.propose(_engine(ctx), by=by, reason=why, changes=[change])
    console.print(f"Proposed amendment {amendment_id}. An approver decides with 'safer framework approve "
                  f"{amendment_id} --by NAME' or 'safer framework reject {amendment_id} --by NAME "
                  "--why ...'.")


@app.command("approve")
def approve(
    ctx: typer.Context,
    amendment_id: Annotated[int, typer.Argument(metavar="AMENDMENT", help="Amendment number.")],
    by: ByOpt,
    consulted: Annotated[str, typer.Option("--consulted", help="Cabinet Member consulted (Cabinet rule).")]
    = register.DEFAULT_CONSULTEE,
    note: Annotated[str | None, typer.Option("--note", help="A note recorded with the decision.")] = None,
) -> None:
    """Approve an amendment (approver role) and publish the next version."""
    number = amendments.approve(_engine(ctx), amendment_id, by=by, consulted=consulted, note=note)
    console.print(f"Approved amendment {amendment_id}; published version {number}.")
    console.print(f"Recorded authority: {register.CABINET_RULE} Consulted: {consulted}.", highlight=False)


@app.command("reject")
def reject(
    ctx: typer.Context,
    amendment_id: Annotated[int, typer.Argument(metavar="AMENDMENT", help="Amendment number.")],
    by: ByOpt,
    why: Annotated[str, typer.Option("--why", help="Why it is rejected.")],
) -> None:
    """Reject an amendment (approver role); it is kept in the history and never published."""
    amendments.reject(_engine(ctx), amendment_id, by=by, note=why)
    console.print(f"Rejected amendment {amendment_id}.")


@app.command("history")
def history(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every amendment with its status, decision and diff."""
    views = amendments.history(_engine(ctx))
    if as_json:
        print_json([v.to_dict() for v in views])
        return
    if not views:
        console.print("No amendments yet.")
    for v in views:
        head = (f"Amendment {v.id} [{v.status}] proposed by {v.proposed_by} on "
                f"{v.proposed_at:%Y-%m-%d %H:%M} UTC against version {v.base_version}: {v.reason}")
        console.print(head, style="bold", highlight=False, markup=False)
        if v.decided_by:
            console.print(f"  {v.status.capitalize()} by {v.decided_by} on {v.decided_at:%Y-%m-%d %H:%M} UTC"
                          + (f"; published as version {v.published_version}" if v.published_version else "")
                          + (f"; consulted: {v.consulted}" if v.consulted else "")
                          + (f"; note: {v.decision_note}" if v.decision_note else ""), highlight=False)
        typer.echo(v.diff)


@app.command("versions")
def versions(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Published versions: number, date, who and why."""
    infos = register.list_versions(_engine(ctx))
    if as_json:
        print_json([v.to_dict() for v in infos])
        return
    table = Table(title="Published versions of the framework")
    for column in ("version", "published (UTC)", "by", "entries", "note"):
        table.add_column(column)
    for v in infos:
        table.add_row(str(v.number), f"{v.published_at:%Y-%m-%d %H:%M}", v.published_by, str(v.entries),
                      v.note)
    console.print(table)


@app.command("grant")
def grant(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The person's name.")],
    role: Annotated[str, typer.Option("--role", help="Role to grant.")] = "approver",
    by: Annotated[str | None, typer.Option("--by", help="Who grants it.")] = None,
) -> None:
    """Give a person a role (approver: may approve and reject amendments)."""
    roles.grant(_engine(ctx), name, role, by=by or _login())
    console.print(f"{name} holds the role '{role}'.")


@app.command("revoke")
def revoke(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The person's name.")],
    role: Annotated[str, typer.Option("--role", help="Role to remove.")] = "approver",
) -> None:
    """Take a role away from a person."""
    roles.revoke(_engine(ctx), name, role)
    console.print(f"{name} no longer holds the role '{role}'.")


@app.command("approvers")
def approvers(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Who holds the approver role."""
    names = roles.holders(_engine(ctx))
    if as_json:
        print_json(names)
    else:
        console.print("\n".join(names) if names else "Nobody holds the approver role yet.")
