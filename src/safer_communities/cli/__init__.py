"""The `safer` command: parses arguments, calls the library, prints. No SQL, no statistics here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

import safer_communities
from safer_communities.cli.lazy import LazyCommand, lazy_group
from safer_communities.errors import SaferError

# Each command's module is imported only when the command runs (`safer --help` imports none of them).
# The help lines here are the ones `safer --help` prints; tests/cli/test_startup.py checks that each
# equals the loaded command's own help.
COMMANDS: dict[str, LazyCommand] = {
    "ingest": LazyCommand(
        "safer_communities.cli.ingest:app",
        "Load police.uk archives and reference data into the evidence store."),
    "quality": LazyCommand(
        "safer_communities.cli.quality:quality",
        "Data-quality report: coverage and gaps by force and month, missing locations, LSOAs outside the "
        "study area, repeated Crime IDs, unresolved LSOA codes and rejected rows."),
    "summary": LazyCommand(
        "safer_communities.cli.summary:summary",
        "Row counts and coverage of every public table in the evidence store."),
    "framework": LazyCommand(
        "safer_communities.cli.framework:app",
        "The framework register: duties, issues, services, partners, activities; checks and amendments."),
    "evidence": LazyCommand(
        "safer_communities.cli.evidence:app",
        "The evidence: rates, trends, harm, hotspots, deprivation, outcomes, road safety, peers."),
    "report": LazyCommand(
        "safer_communities.cli.report:app",
        "Reports built from the evidence store."),
    "strategy": LazyCommand(
        "safer_communities.cli.strategy:app",
        "Strategies: objectives, actions, owners and indicators computed from the evidence."),
    "users": LazyCommand(
        "safer_communities.cli.users:app",
        "Web users, their roles (viewer, analyst, editor, approver, admin) and API tokens."),
    "reviews": LazyCommand(
        "safer_communities.cli.reviews:app",
        "Case reviews (DARDR, OWHR, ASB case review) with their statutory clocks."),
    "sharing": LazyCommand(
        "safer_communities.cli.sharing:app",
        "Information-sharing agreements: parties, legal gateway, schemas, retention, review."),
    "serve": LazyCommand(
        "safer_communities.cli.serve:serve",
        "Serve the dashboard, pages and /api/v1 (settings from SAFER_* and --db / --app-db)."),
}

app = typer.Typer(
    name="safer",
    help="safer-communities: evidence, strategy and compliance for community safety partnerships.",
    no_args_is_help=True,
    cls=lazy_group(COMMANDS),
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"safer-communities {safer_communities.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Evidence store (DuckDB file). Env: SAFER_DB.", show_default=False),
    ] = None,
    app_db: Annotated[
        str | None,
        typer.Option("--app-db", help="Application database URL. Env: SAFER_APP_DB_URL.", show_default=False),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Build the settings once, from the environment and these options, for every command."""
    from safer_communities.cli.common import State

    overrides: dict[str, object] = {}
    if db is not None:
        overrides["db"] = db
    if app_db is not None:
        overrides["app_db_url"] = app_db
    ctx.obj = State(overrides)  # the Settings themselves are built when a command first asks



def main() -> None:
    """Entry point: a SaferError becomes one tidy message and exit code 2."""
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:  # typer.Exit(n) is returned, not raised, here
            sys.exit(code)
    except SaferError as exc:
        from safer_communities.cli.common import console_err

        console_err.print(f"[bold red]Error:[/] {escape(exc.what)}", highlight=False, markup=True)
        if exc.found:
            # soft_wrap: a long path stays on one line, whole, so it can be copied
            console_err.print(f"  Found: {exc.found}", highlight=False, markup=False, soft_wrap=True)
        if exc.hint:
            console_err.print(f"  Hint: {exc.hint}", highlight=False, markup=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        from safer_communities.cli.common import console_err

        console_err.print("Aborted.")
        sys.exit(1)
    except typer.TyperException as exc:
        # Usage errors (a missing path, an unknown option). Typer raises its own vendored copy of
        # click's exception classes, so catching ``click.ClickException`` would miss them.
        _usage_error(exc)
    except Exception as exc:  # click itself, should a command ever be plain click
        import click

        if isinstance(exc, click.exceptions.ClickException):
            _usage_error(exc)
        raise


def _usage_error(exc: Exception) -> None:
    """One tidy message (the usage line, a pointer to --help and the error) and exit code 2."""
    show = getattr(exc, "show", None)
    if callable(show):
        show()
    else:  # pragma: no cover - every Typer and click exception has show()
        from safer_communities.cli.common import console_err

        console_err.print(f"Error: {exc}", highlight=False, markup=False)
    sys.exit(2)
