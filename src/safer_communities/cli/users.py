"""`safer users`: who may sign in to the web application, with which roles; API tokens for partners."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.table import Table

from safer_communities.cli.common import console, print_json, settings_from
from safer_communities.cli.tables import show
from safer_communities.errors import InputError
from safer_communities.store.app_db import open_app_db
from safer_communities.web import accounts, audit

app = typer.Typer(help="Web users, their roles (viewer, analyst, editor, approver, admin) and API tokens.",
                  no_args_is_help=True)

RoleOption = Annotated[list[str], typer.Option("--role", "-r", help="A role; repeat for several.")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin",
                                             help="Read the password from standard input.")]


def _operator() -> str:
    """Who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise InputError("The two passwords differ.", found="a mismatch",
                             hint="Type the same password twice.")
    return accounts.check_password(password)


@app.command("add")
def add(ctx: typer.Context, name: str, role: RoleOption = None,  # type: ignore[assignment]
        password_stdin: PasswordStdin = False,
        no_password: Annotated[bool, typer.Option("--no-password", help="A user who cannot sign in "
                                                  "(e.g. an approver who uses the command line).")] = False,
        ) -> None:
    """Add a user (default role: viewer) with a password, asked for unless --password-stdin."""
    engine = open_app_db(settings_from(ctx).app_db_url)
    password = None if no_password else _password(password_stdin)
    roles = list(role or ["viewer"])
    accounts.add_user(engine, name, roles=roles, password=password, by=_operator())
    audit.record(engine, actor=_operator(), action="user_added", obj=name, ip="cli", detail=", ".join(roles))
    console.print(f"Added {name} with roles: {', '.join(roles)}.")


@app.command("remove")
def remove(ctx: typer.Context, name: str) -> None:
    """Remove a user (their roles, password and tokens; the audit log keeps their name)."""
    engine = open_app_db(settings_from(ctx).app_db_url)
    accounts.remove_user(engine, name)
    audit.record(engine, actor=_operator(), action="user_removed", obj=name, ip="cli")
    console.print(f"Removed {name}.")


@app.command("set-role")
def set_role(ctx: typer.Context, name: str, role: RoleOption) -> None:
    """Replace the user's roles with those given."""
    engine = open_app_db(settings_from(ctx).app_db_url)
    accounts.set_roles(engine, name, list(role or []), by=_operator())
    audit.record(engine, actor=_operator(), action="user_roles_set", obj=name, ip="cli",
                 detail=", ".join(role or []))
    console.print(f"{name} now has roles: {', '.join(role or [])}.")


@app.command("passwd")
def passwd(ctx: typer.Context, name: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (ends their sessions)."""
    engine = open_app_db(settings_from(ctx).app_db_url)
    accounts.set_password(engine, name, _password(password_stdin))
    audit.record(engine, actor=_operator(), action="password_set", obj=name, ip="cli")
    console.print(f"Password set for {name}.")


@app.command("token")
def token(ctx: typer.Context, name: str,
          label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "partner system",
          revoke: Annotated[bool, typer.Option("--revoke", help="Revoke every token of the user.")] = False,
          ) -> None:
    """Create an API token for a partner system (printed once), or revoke the user's tokens."""
    engine = open_app_db(settings_from(ctx).app_db_url)
    if revoke:
        n = accounts.revoke_tokens(engine, name)
        audit.record(engine, actor=_operator(), action="tokens_revoked", obj=name, ip="cli", detail=str(n))
        console.print(f"Revoked {n} token(s) of {name}.")
        return
    value = accounts.create_token(engine, name, label)
    audit.record(engine, actor=_operator(), action="token_created", obj=name, ip="cli", detail=label)
    typer.echo(value)


@app.command("list")
def list_(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
          ) -> None:
    """List users and their roles."""
    rows = accounts.list_users(open_app_db(settings_from(ctx).app_db_url))
    if as_json:
        print_json(rows)
        return
    table = Table("name", "roles", "can sign in", "created")
    for row in rows:
        table.add_row(str(row["name"]), ", ".join(row["roles"]), "yes" if row["password"] else "no",
                      str(row["created_at"])[:10])
    show(table)
