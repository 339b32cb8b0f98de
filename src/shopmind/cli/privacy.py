"""`shopmind privacy ...`: erase a user everywhere, export what is kept on them, show the deletion log.

With a running server, erase through the API (``DELETE /users/{id}``) so that its live state and loaded model
versions forget the user at once; this command erases from the store and the saved artifacts (a server started
afterwards never sees the user).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shopmind.cli.params import load_settings
from shopmind.data.loaders.base import ReadResult
from shopmind.privacy.erasure import Eraser, import_guard
from shopmind.privacy.pseudonym import Pseudonymiser
from shopmind.settings import Settings
from shopmind.storage import open_store
from shopmind.storage.base import Store

privacy_app = typer.Typer(help="Users' rights: erase a user everywhere, export their data, the deletion log.",
                          no_args_is_help=True)
console = Console()
err = Console(stderr=True)
StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE or the "
                                             "SQLite file in $SHOPMIND_HOME).")]


def secret_of(settings: Settings) -> str | None:
    return settings.privacy.secret.get_secret_value() if settings.privacy.secret else None


def edge_id(settings: Settings, user_id: str) -> str:
    """The id as the store holds it: pseudonymised when a privacy secret is configured."""
    secret = secret_of(settings)
    return Pseudonymiser(secret)(user_id) if secret else user_id


def import_preparer(settings: Settings, store: Store, allow_erased: bool = False,
                    say: Callable[[str], None] | None = None) -> Callable[[ReadResult], ReadResult]:
    """:func:`shopmind.privacy.erasure.import_guard` with the settings' privacy secret."""
    return import_guard(store, secret_of(settings), allow_erased, say)


def _eraser(settings: Settings, store: Store) -> Eraser:
    return Eraser(store, models_dir=settings.models_dir, secret=secret_of(settings))


@privacy_app.command("delete-user")
def delete_user(user_id: Annotated[str, typer.Argument(help="The shop's user id.")], store: StoreOpt = None) -> None:
    """Erase a user from the store and every saved model artifact; prints the receipt (JSON)."""
    s = load_settings(store_url=store)
    with open_store(s.store) as st:
        receipt = _eraser(s, st).erase(edge_id(s, user_id), source="cli")
    console.print_json(json.dumps(receipt))


@privacy_app.command("export-user")
def export_user(user_id: Annotated[str, typer.Argument(help="The shop's user id.")],
                out: Annotated[Path | None, typer.Option(help="Write the JSON here instead of printing it.")] = None,
                store: StoreOpt = None) -> None:
    """Everything kept about a user (store rows, their history and vector in saved artifacts) as JSON."""
    s = load_settings(store_url=store)
    with open_store(s.store) as st:
        doc = _eraser(s, st).export(edge_id(s, user_id))
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if out is None:
        console.print_json(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")


@privacy_app.command("log")
def log(as_json: Annotated[bool, typer.Option("--json", help="Print the log as JSON lines.")] = False,
        store: StoreOpt = None) -> None:
    """The deletion log: one line per erasure request, with a keyed hash of the id (never the id)."""
    s = load_settings(store_url=store)
    with open_store(s.store) as st:
        entries = _eraser(s, st).log()
    if as_json:
        for e in entries:
            console.print(json.dumps(e, ensure_ascii=False), highlight=False, soft_wrap=True)
        return
    table = Table("completed at (UTC)", "user hash", "source", "events", "rows in all", "models: action")
    for e in entries:
        deleted = e.get("deleted", {})
        actions: dict[str, int] = {}
        for m in e.get("models", []):
            actions[m["action"]] = actions.get(m["action"], 0) + 1
        table.add_row(str(e.get("completed_at", ""))[:19], str(e.get("user_hash")), str(e.get("source")),
                      str(deleted.get("events", 0)), str(sum(deleted.values())),
                      ", ".join(f"{n} {a}" for a, n in actions.items()) or "-")
    console.print(table)
