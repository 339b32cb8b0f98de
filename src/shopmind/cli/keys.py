"""`shopmind keys ...`: API keys kept in the store, hashed. ``create`` shows a new key once; ``list`` shows
ids, scopes and state (never the keys); ``revoke`` ends a key (a running server stops taking it within
a few seconds)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shopmind.api.keys import KEY_SCOPES, expand_scopes, hash_key, new_key
from shopmind.cli.params import load_settings
from shopmind.errors import ParameterError, ShopmindError
from shopmind.storage import open_store

keys_app = typer.Typer(help="API keys for `shopmind serve`: create (shown once, stored hashed), list, revoke.",
                       no_args_is_help=True)
console = Console()
StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE or "
                                             "sqlite:///$SHOPMIND_HOME/shopmind.db).")]


@keys_app.command("create")
def create(
    scope: Annotated[str, typer.Option("--scope", help="read (GET lists), write (also batch writes, models) "
                                       "or admin (everything).")],
    name: Annotated[str | None, typer.Option("--name", help="A label to recognise the key by.")] = None,
    rate_limit: Annotated[float | None, typer.Option("--rate-limit", help="Requests a second for this key "
                                                     "(default: the server's SHOPMIND_API_RATE_LIMIT).")] = None,
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Create an API key; it is printed once and only its hash is stored."""
    if scope not in KEY_SCOPES:
        raise ParameterError("keys create", "--scope", scope, f"one of {', '.join(KEY_SCOPES)}")
    if rate_limit is not None and not rate_limit > 0:
        raise ParameterError("keys create", "--rate-limit", rate_limit, "a number of requests a second > 0")
    settings = load_settings(store_url=store)
    key_id, key = new_key()
    with open_store(settings.store) as st:
        st.put_api_key({"key_id": key_id, "key_hash": hash_key(key), "scopes": [scope], "name": name,
                        "rate_limit": rate_limit})
    scopes = sorted(expand_scopes([scope]), key=KEY_SCOPES.index)
    if as_json:
        typer.echo(json.dumps({"key_id": key_id, "key": key, "scopes": scopes, "name": name,
                               "rate_limit": rate_limit}))
        return
    console.print(f"API key {key_id} ({', '.join(scopes)}) created in {settings.store}:")
    typer.echo(key)
    console.print("[bold]Copy it now: it is not shown again[/] (only its hash is stored). Send it as "
                  "'X-API-Key: KEY'.", highlight=False)


@keys_app.command("list")
def list_keys(
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Every stored key: id, name, scopes, rate limit, when it was created and revoked (never the key)."""
    settings = load_settings(store_url=store)
    with open_store(settings.store) as st:
        keys = st.list_api_keys()
    if as_json:
        typer.echo(json.dumps(keys, indent=2))
        return
    if not keys:
        console.print(f"no API keys in {settings.store}: create one with `shopmind keys create --scope read`")
        return
    table = Table("key_id", "name", "scopes", "rate limit", "created", "state", title=f"API keys in {settings.store}")
    for k in keys:
        rate = "default" if k["rate_limit"] is None else f"{k['rate_limit']:g}/s"
        state = "active" if k["revoked_at"] is None else f"revoked {k['revoked_at'][:19]}"
        table.add_row(k["key_id"], k["name"] or "", "+".join(k["scopes"]), rate, k["created_at"][:19], state)
    console.print(table)


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (`shopmind keys list`).")],
    store: StoreOpt = None,
) -> None:
    """Revoke a key: a running server refuses it (401) within a few seconds."""
    settings = load_settings(store_url=store)
    with open_store(settings.store) as st:
        if st.revoke_api_key(key_id):
            console.print(f"API key {key_id} revoked")
            return
        known = {k["key_id"]: k for k in st.list_api_keys()}
    if key_id in known:
        raise ShopmindError(f"API key {key_id} was already revoked at {known[key_id]['revoked_at']}")
    raise ShopmindError(f"no API key {key_id!r} in {settings.store}; `shopmind keys list` shows them")
