"""`safer framework ...`: the register of duties, issues, services, partners and activities."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from safer_communities.cli.common import console, console_err, print_json, settings_from
from safer_communities.cli.framework_print import names_of, print_sharing, print_strategy_links, text_of
from safer_communities.cli.tables import show as show_table
from safer_communities.errors import InputError, PermissionDeniedError
from safer_communities.framework import amendments, checks, compliance, exports, queries, register, roles
from safer_communities.framework.loader import read_framework, shipped_path
from safer_communities.framework.model import SINGULAR
from safer_communities.store.app_db import open_app_db
from safer_communities.strategy import links as strategy_links
from safer_communities.web import audit

app = typer.Typer(
    help="The framework register: duties, issues, services, partners, activities; checks and amendments.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
VersionOpt = Annotated[int | None, typer.Option("--version", "-v",
                                               help="Published version (default: latest).")]
AmberOpt = Annotated[int | None, typer.Option("--amber-days", help="A duty due within this many days is "
                                              "amber (default: SAFER_COMPLIANCE_AMBER_DAYS).")]
ByOpt = Annotated[str, typer.Option("--as", "--by", metavar="USER",
                                    help="Your user account (as in 'safer users list'); its roles are "
                                         "checked and it is recorded with the change.")]


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(f"{option} takes a date as YYYY-MM-DD.", found=value,
                         hint=f"e.g. {option} {date.today().isoformat()}") from exc


def _audited(ctx: typer.Context, actor: str, action: str, obj: str, call: Any, detail: str = "") -> Any:
    """Run a write and append it to the audit log the web shows (refusals of permission too)."""
    engine = _engine(ctx)
    try:
        result = call(engine)
    except PermissionDeniedError as exc:
        audit.record(engine, actor=actor, action=f"{action}_refused"[:60], obj=obj, ip="cli",
                     detail=exc.what)
        raise
    audit.record(engine, actor=actor, action=action, obj=obj, ip="cli",
                 detail=detail(result) if callable(detail) else detail)
    return result


def _login() -> str:
    """Who runs the command, when --by is not given (containers may have no user entry)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown user"


def _engine(ctx: typer.Context) -> Any:
    """One engine per command (opening it runs the migrations check)."""
    meta = ctx.find_root().meta
    if "app_engine" not in meta:
        meta["app_engine"] = open_app_db(settings_from(ctx).app_db_url)
    return meta["app_engine"]


def _published(engine: Any, number: int) -> exports.Published:
    info = next(v for v in register.list_versions(engine) if v.number == number)
    return exports.Published(number, info.published_at.date())


@app.command("load")
def load(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Folder of YAML files (default: the shipped Lancashire "
                                                     "register).", show_default=False)] = None,
    by: Annotated[str | None, typer.Option("--as", "--by", metavar="USER",
                                           help="Who loads it: the first version needs no role; over a "
                                                "published register it proposes, so USER must be an "
                                                "editor (default: your login name).")] = None,
) -> None:
    """Seed the register from YAML (first version), or propose the differences as one amendment."""
    folder = path or shipped_path()
    framework = read_framework(folder)
    who = by or _login()
    outcome = _audited(ctx, who, "framework_loaded", str(folder),
                       lambda e: amendments.load(e, framework, by=who, origin=str(folder)),
                       lambda o: f"version {o.published_version}" if o.published_version
                       else f"amendment {o.amendment_id}" if o.amendment_id else "no change")
    if outcome.published_version:
        console.print(f"Published version {outcome.published_version}: {outcome.changes} entries from "
                      f"{folder}.")
    elif outcome.amendment_id:
        console.print(f"The register is already published, so the {outcome.changes} change(s) in {folder} "
                      f"were proposed as amendment {outcome.amendment_id}. An approver publishes them with "
                      f"'safer framework approve {outcome.amendment_id} --as USER'.")
    else:
        console.print(f"No change: {folder} matches the published register.")


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="yaml, md, html, pdf or docx.")] = "yaml",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (folder for yaml); stdout for md "
                                                                 "and html when omitted.")] = None,
    version: VersionOpt = None,
    amber_days: AmberOpt = None,
) -> None:
    """Write the published framework; YAML round-trips exactly (load, then export, gives the same bytes).

    The compliance table rates each duty as 'framework check' does, per-case duties by the case reviews."""
    engine = _engine(ctx)
    number, framework = register.read_version(engine, version)
    days, cases = _ratings_inputs(ctx, engine, amber_days)
    written, text = exports.export(framework, fmt.lower(), out, _published(engine, number), amber_days=days,
                                   cases=cases)
    if text is not None:
        typer.echo(text, nl=False)
    for path in written:
        console_err.print(f"Wrote {path}", highlight=False)


def _ratings_inputs(ctx: typer.Context, engine: Any, amber_days: int | None) -> tuple[int, Any]:
    """The amber window (option, else the setting) and the case review clocks of per-case duties."""
    from safer_communities.reviews import register as case_reviews

    days = settings_from(ctx).compliance_amber_days if amber_days is None else amber_days
    return days, case_reviews.case_clocks(engine, today=date.today(), amber_days=days)


@app.command("check")
def check(
    ctx: typer.Context, as_json: JsonOpt = False, version: VersionOpt = None,
    path: Annotated[Path | None, typer.Option("--path", help="Check a YAML folder instead of the "
                                                             "database.")] = None,
    amber_days: AmberOpt = None,
) -> None:
    """Run the compliance checks and rate each duty green / amber / red; exit code 1 when there are
    findings."""
    cases = None
    days = settings_from(ctx).compliance_amber_days if amber_days is None else amber_days
    if path is not None:
        label, framework = str(path), read_framework(path)
    else:
        engine = _engine(ctx)
        number, framework = register.read_version(engine, version)
        label = f"version {number}"
        days, cases = _ratings_inputs(ctx, engine, amber_days)
    report = checks.check(framework)
    ratings = compliance.rate(framework, report.today, amber_days=days, cases=cases)
    counts = compliance.summary(ratings)
    if path is None:  # issue 12: sharing agreements and retention of record-level partner data
        from safer_communities.framework import checks_sharing

        report = checks_sharing.extend(report, framework, engine, settings_from(ctx).db)
    if as_json:
        print_json({"register": label, **report.to_dict(), "amber_days": days,
                    "compliance": {"summary": counts, "duties": [r.to_dict() for r in ratings]}})
    else:
        console.print(f"Framework checks on {label}: {len(report.findings)} finding(s), "
                      f"{len(report.known_gaps)} known gap(s).", style="bold", highlight=False)
        for f in report.findings:
            console.print(f"{f.code}  {f.kind}/{f.entry}: {f.message}", highlight=False, markup=False)
        for gap in report.known_gaps:
            console.print(f"known gap  issues/{gap.entry}: {gap.message}", highlight=False, markup=False)
        if report.ok:
            console.print("No findings.")
        console.print(f"Compliance on {report.today:%d %B %Y}: {counts['green']} green, {counts['amber']} "
                      f"amber (due within {days} days), {counts['red']} red.", style="bold", highlight=False)
        for r in ratings:
            if r.rating != "green":
                console.print(f"{r.rating:<5}  duties/{r.duty_id}: {r.rule}", highlight=False, markup=False)
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
    if SINGULAR.get(what, what) == "partners":
        from safer_communities.framework.checks_sharing import partner_sharing

        result["information_sharing"] = partner_sharing(framework, engine, settings_from(ctx).db, entry_id,
                                                        date.today())
    if as_json:
        print_json({"version": number, **result})
        return
    entry = result.pop("entry")
    rest = f"({result.pop('kind')} '{entry['id']}', version {number})"
    console.print(f"[bold]{escape(str(entry['name']))}[/] {escape(rest)}", markup=True)
    source = entry.pop("source")
    gaps = {g["approach"]: g["reason"] for g in entry.pop("gaps", [])}
    for key, value in entry.items():
        if key not in ("id", "name"):
            value = {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
            console.print(f"  {key}: {text_of(value)}", highlight=False, markup=False)
    console.print(f"  {exports.source_label(framework.get(SINGULAR.get(what, what), entry_id))}",
                  highlight=False, markup=False)
    del source
    objectives = result.pop("strategy", None)
    sharing = result.pop("information_sharing", None)
    for key, value in result.items():
        if isinstance(value, dict):
            console.print(f"[bold]{escape(key.replace('_', ' '))}[/]", markup=True)
            for sub, items in value.items():
                empty = f"none (known gap: {gaps[sub]})" if sub in gaps else "none"
                console.print(f"  {sub}: {names_of(items) or empty}", highlight=False, markup=False)
        else:
            console.print(f"{key.replace('_', ' ')}: {names_of(value) or 'none'}", highlight=False,
                          markup=False)
    if objectives is not None:
        print_strategy_links(objectives)
    if sharing is not None:
        print_sharing(sharing)


@app.command("matrix")
def matrix(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, xlsx or html.")] = "csv",
    which: Annotated[str, typer.Option("--which", help="For CSV: services-issues or duties-evidence.")]
    = "services-issues",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (stdout for csv and html).")]
    = None,
    version: VersionOpt = None,
    amber_days: AmberOpt = None,
) -> None:
    """Services x issues (approaches of their activities) and duties x evidence status with each duty's
    compliance rating (green / amber / red, its due date and the rule)."""
    engine = _engine(ctx)
    number, framework = register.read_version(engine, version)
    days, cases = _ratings_inputs(ctx, engine, amber_days)
    written, text = exports.write_matrix(framework, fmt.lower(), out, _published(engine, number), which,
                                         amber_days=days, cases=cases)
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
    amendment_id = _audited(ctx, by, "amendment_proposed", f"{kind}/{entry_id}",
                            lambda e: amendments.propose(e, by=by, reason=why, changes=[change]),
                            lambda n: f"amendment {n}: {change.op} {kind}/{entry_id}: {why}")
    route = next(v.route for v in amendments.history(_engine(ctx)) if v.id == amendment_id)
    console.print(f"Proposed amendment {amendment_id}.", highlight=False)
    if route is not None:
        who = "Cabinet decides it" if route.decision == "cabinet" else "minor: the delegation applies"
        console.print(f"Route: {who}. Rule: {route.reason}.", highlight=False, markup=False)
    console.print(f"Another approver decides with 'safer framework approve {amendment_id} --as USER ...' "
                  f"or 'safer framework reject {amendment_id} --as USER --why ...'.", highlight=False)


@app.command("approve")
def approve(
    ctx: typer.Context,
    amendment_id: Annotated[int, typer.Argument(metavar="AMENDMENT", help="Amendment number.")],
    by: ByOpt,
    consulted: Annotated[str | None, typer.Option("--consulted", help="Who was consulted (the Cabinet "
                                                  "Member, under the delegation).")] = None,
    consulted_on: Annotated[str | None, typer.Option("--consulted-on", metavar="YYYY-MM-DD",
                                                     help="When they were consulted.")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="What the consultation concluded.")]
    = None,
    cabinet_decision: Annotated[str | None, typer.Option(
        "--cabinet-decision", help="For an amendment that is not minor: the Cabinet decision that "
                                   "approved it (e.g. 'Cabinet 12 March 2026, minute 7').")] = None,
    cabinet_date: Annotated[str | None, typer.Option("--cabinet-date", metavar="YYYY-MM-DD",
                                                     help="The date of that Cabinet decision.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note recorded with the decision.")] = None,
) -> None:
    """Approve an amendment (approver role, not its proposer) and publish the next version.

    A minor amendment needs the consultation (--consulted, --consulted-on, --outcome); one the register's
    rules send to Cabinet needs the Cabinet decision (--cabinet-decision, --cabinet-date).
    """
    consultation = None
    if consulted is not None or consulted_on is not None or outcome is not None:
        if consulted is None or consulted_on is None or outcome is None:
            raise InputError("A consultation needs all three of --consulted, --consulted-on and --outcome.",
                             found="only some were given", hint="Enter who, when and the outcome.")
        consultation = amendments.Consultation(consulted, _date(consulted_on, "--consulted-on"), outcome)
    cabinet = None
    if cabinet_decision is not None or cabinet_date is not None:
        if cabinet_decision is None or cabinet_date is None:
            raise InputError("A Cabinet decision needs --cabinet-decision and --cabinet-date.",
                             found="only one was given", hint="Give the reference and the date.")
        cabinet = amendments.CabinetDecision(cabinet_decision, _date(cabinet_date, "--cabinet-date"))
    number = _audited(ctx, by, "amendment_approved", f"amendment {amendment_id}",
                      lambda e: amendments.approve(e, amendment_id, by=by, consultation=consultation,
                                                   cabinet=cabinet, note=note),
                      lambda n: f"published as version {n}; " + (
                          f"Cabinet decision {cabinet.reference}" if cabinet else
                          f"consulted {consultation.who} on {consultation.on}: {consultation.outcome}"
                          if consultation else ""))
    console.print(f"Approved amendment {amendment_id}; published version {number}.")
    view = next(v for v in amendments.history(_engine(ctx)) if v.id == amendment_id)
    console.print(f"Recorded authority: {view.authority}", highlight=False, markup=False)
    if consultation:
        console.print(f"Consulted: {consultation.who} on {consultation.on:%d %B %Y}: {consultation.outcome}",
                      highlight=False, markup=False)


@app.command("reject")
def reject(
    ctx: typer.Context,
    amendment_id: Annotated[int, typer.Argument(metavar="AMENDMENT", help="Amendment number.")],
    by: ByOpt,
    why: Annotated[str, typer.Option("--why", help="Why it is rejected.")],
) -> None:
    """Reject an amendment (approver role, not its proposer); it is kept in the history, never published."""
    _audited(ctx, by, "amendment_rejected", f"amendment {amendment_id}",
             lambda e: amendments.reject(e, amendment_id, by=by, note=why), why)
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
    show_table(table)


@app.command("grant")
def grant(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The person's name.")],
    by: ByOpt,
    role: Annotated[str, typer.Option("--role", help="Role to grant.")] = "approver",
) -> None:
    """Give a person a role (approver: may approve and reject amendments); needs an admin (--as)."""
    _audited(ctx, by, "role_granted", name, lambda e: roles.grant(e, name, role, by=by), role)
    console.print(f"{name} holds the role '{role}'.")


@app.command("revoke")
def revoke(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="The person's name.")],
    by: ByOpt,
    role: Annotated[str, typer.Option("--role", help="Role to remove.")] = "approver",
) -> None:
    """Take a role away from a person; needs an admin (--as)."""
    _audited(ctx, by, "role_revoked", name, lambda e: roles.revoke(e, name, role, by=by), role)
    console.print(f"{name} no longer holds the role '{role}'.")


@app.command("approvers")
def approvers(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Who holds the approver role."""
    names = roles.holders(_engine(ctx))
    if as_json:
        print_json(names)
    else:
        console.print("\n".join(names) if names else "Nobody holds the approver role yet.")
