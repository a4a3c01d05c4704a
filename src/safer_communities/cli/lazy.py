"""A command group that imports a command's module only when that command runs.

Every command of `safer` used to be imported before anything was parsed, so `safer --version` paid for
GeoPandas, matplotlib, WeasyPrint, scipy and FastAPI (about 3 CPU-seconds). Here the root group knows
each command by a dotted target and its one-line help; `safer --help` lists the help lines without
importing anything, and `safer evidence rates` imports the evidence commands alone.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer.core import TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives (``module:attribute``, a Typer app or a command function) and its help."""

    target: str
    help: str


def load_command(name: str, target: str) -> Any:
    """Import ``target`` and turn it into the Click command Typer would have built for it."""
    module_name, _, attribute = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attribute)
    if isinstance(obj, typer.Typer):
        command = typer.main.get_group(obj)
    else:
        holder = typer.Typer(rich_markup_mode="rich")
        holder.command(name)(obj)
        command = typer.main.get_command(holder)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root group: lists commands from their declared help, loads a command when it is used."""

    lazy_commands: ClassVar[dict[str, LazyCommand]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.lazy_commands, *(name for name in self.commands if name not in self.lazy_commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        lazy = self.lazy_commands.get(cmd_name)
        if lazy is None:
            return None
        if self._listing:  # the help page needs the name and help line, not the command
            return typer.core.TyperCommand(cmd_name, help=lazy.help, short_help=lazy.help)
        command = load_command(cmd_name, lazy.target)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def lazy_group(commands: dict[str, LazyCommand]) -> type[LazyGroup]:
    """A LazyGroup class carrying ``commands`` (Typer builds the group itself from the class)."""
    return type("SaferGroup", (LazyGroup,), {"lazy_commands": dict(commands)})
