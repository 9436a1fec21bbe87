"""Opening the store for a command: a file that is no store ends the command with its reason."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from apisentry.store import Store, StoreError


def open_store(db: str) -> Store:
    """The store at `db`, or exit status 2 with the file named and why it cannot be opened."""
    try:
        return Store(db)
    except StoreError as e:
        Console(stderr=True, soft_wrap=True).print(f"[red]{escape(str(e))}[/red]")
        raise typer.Exit(2) from e
