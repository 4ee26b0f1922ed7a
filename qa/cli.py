"""The `qa` command: a thin layer over the Python API. With --json, stdout carries only JSON."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from .config import load_settings
from .errors import QAError


class UserError(click.ClickException):
    """A problem the user can fix (bad input or setting, missing or unusable index): "Error: ...", exit 2.
    Exit code 1 is left to unexpected internal failures (an uncaught exception)."""

    exit_code = 2


class _Group(click.Group):
    """Turns any QAError a command lets through (e.g. a bad QA_* setting) into exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QAError as exc:
            raise UserError(str(exc)) from None


def _echo_json(value: object) -> None:
    click.echo(json.dumps(value, ensure_ascii=False))


@click.group(cls=_Group)
@click.version_option(package_name="gazette-qa")
def main() -> None:
    """公报问答 — ask the 阳泉市人民政府公报 questions, get cited answers."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Ignore the existing index and build from scratch.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes that embed (default QA_INGEST_WORKERS, 1).")
@click.option("--shard", is_flag=True, help="QA_BACKEND=milvus: one of several ingests (machines) writing the "
                                            "same collection; files this index does not hold are left in it.")
def ingest(paths: tuple[Path, ...], rebuild: bool, workers: int | None, shard: bool) -> None:
    """Build or update the index from gazette issues, *.txt and *.pdf (default: data/gazettes/)."""
    from .ingest import ingest as run_ingest

    settings = load_settings()
    report = run_ingest(settings, list(paths) or None, rebuild=rebuild, workers=workers, shard=shard)
    for line in report.failed:
        click.echo(f"skipped: {line}", err=True)
    _ingest_summary(report, settings)
    if report.failed:  # the index holds the rest; exit 2 so that scripts notice
        sys.exit(2)


def _ingest_summary(report, settings) -> None:
    if not report.written:
        click.echo(f"index up to date: {report.files} files, {report.documents} documents, "
                   f"{report.chunks} chunks ({report.seconds:.2f} s, nothing embedded)", err=True)
        if report.synced:
            click.echo(f"wrote {report.synced} chunks to the {settings.backend} backend", err=True)
        return
    click.echo(
        f"indexed {report.files} files, {report.documents} documents, {report.chunks} chunks "
        f"in {report.seconds:.1f} s; embedded {report.embedded} chunks "
        f"({report.chunks_per_second:.1f} chunks/s); unchanged {len(report.reused_files)}, "
        f"changed/new {len(report.changed_files)}, removed {len(report.removed_files)} -> {settings.index_dir}",
        err=True)
    if report.synced:
        click.echo(f"wrote {report.synced} chunks to the {settings.backend} backend", err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of documents.")
def docs(paths: tuple[Path, ...], as_json: bool) -> None:
    """List the parsed documents and TOC coverage per issue."""
    from .catalog import catalog

    rows, summaries = catalog(load_settings(), list(paths) or None)
    if as_json:
        _echo_json([asdict(r) for r in rows])
    else:
        for r in rows:
            click.echo(f"{r.doc_id}  {r.issue}  p.{r.page or '?':>3}  {r.doc_number or '-':<16} "
                       f"{r.date or '-':<10}  {r.category or '-'}  {r.title}  [{r.n_chunks} chunks]")
    for s in summaries:
        click.echo(s, err=True)


@main.command()
@click.argument("text", nargs=-1)
@click.option("--kind", type=click.Choice(["group", "appointment", "document"]), default=None,
              help="Only records of this kind.")
@click.option("--year", type=int, default=None, help="Only records of documents dated this year.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many records.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of records.")
def facts(text: tuple[str, ...], kind: str | None, year: int | None, limit: int | None, as_json: bool) -> None:
    """List and search the gazettes' records: leading groups and their posts, appointments and
    removals, document facts. TEXT words must all occur (unit short names find full ones), e.g.
    `qa facts --kind group 市住建局`, `qa facts --kind appointment --year 2021`, `qa facts 李海民`."""
    from .contract import fact_to_dict
    from .facts import FactBase
    from .index import open_index

    data = open_index(load_settings())
    found = FactBase(list(data.all_facts())).search(" ".join(text), kind=kind, year=year, limit=limit)
    if as_json:
        _echo_json([fact_to_dict(f, data.document(f.doc_id)) for f in found])
        return
    for f in found:
        doc = data.document(f.doc_id)
        where = f"{doc.issue.label} {doc.doc_number_norm or '-'}"
        body = f"{f.parent} > {f.subject}" if f.parent else f.subject
        click.echo(f"{where}  [{f.kind}] {body} | {f.answer}")
    click.echo(f"{len(found)} records", err=True)


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
@click.option("--file", "file", type=click.File("rb"),
              help="Ask every line of this file (one question per line; '-' for stdin).")
@click.option("--k", type=int, default=None, help="Number of sources to retrieve (1-20).")
@click.option("--year", type=int, default=None, help="Only documents of this year's issues.")
@click.option("--issue", default=None, help="Only this issue, e.g. 2022年第4期 or yangquan-gazette-2022-04.")
@click.option("--category", default=None, help="Only this category, e.g. 人事任免.")
@click.option("--city", default=None, help="Only this city's gazettes, e.g. 阳泉市.")
@click.option("--mode", type=click.Choice(["extractive", "llm", "auto"]), default=None,
              help="extractive (quotes only), llm (local model, verified) or auto (LLM when installed).")
def ask(question, as_json, file, k, year, issue, category, city, mode) -> None:
    """Ask a question; get a cited answer."""
    from .api import Assistant
    from .contract import clean_question
    from .retrieve import Filters

    if (question is None) == (file is None):
        raise click.UsageError("give either a QUESTION or --file QUESTIONS.txt (one question per line).")
    if file is None and not question.strip():
        click.echo("Error: the question is empty; type a question, e.g. 5G基站补贴标准是多少", err=True)
        sys.exit(2)
    questions = [question] if file is None else [line for _, line in _lines(file)]
    filters = Filters(year=year, issue=issue, category=category, city=city)
    if file is None:  # a broken question is named before the index is loaded (or found missing)
        try:
            clean_question(question, load_settings().max_question_chars)
        except QAError as exc:
            raise UserError(str(exc)) from None
    assistant = Assistant.load()  # a missing or unusable index: QAError -> exit 2 (_Group)
    single = file is None

    def on_error(q: str, exc: QAError) -> dict:
        if single:
            raise UserError(str(exc))
        return {"question": q, "error": str(exc)}

    _answer_each(questions, lambda q: assistant.ask(q, filters=filters, k=k, mode=mode), on_error, as_json)


def _lines(file) -> list[tuple[int, str]]:
    """The non-empty lines of a --file, numbered; a line that is not UTF-8 stops with its number."""
    out = []
    for n, raw in enumerate(file, start=1):
        try:
            line = raw.decode("utf-8-sig" if n == 1 else "utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise UserError(f"{file.name}: line {n} is not UTF-8 (byte 0x{raw[exc.start]:02x} at column "
                            f"{exc.start + 1}); save the file as UTF-8 (e.g. `iconv -f GBK -t UTF-8`).") from None
        if line.strip():
            out.append((n, line))
    return out


def _answer_each(items, answer, on_error, as_json: bool) -> None:
    """Answer every item, printing one answer (JSON object or text) each. An item that fails is
    reported (`on_error(item, exc)` gives its JSON object), the others still run; exit 2 if any failed."""
    from .contract import answer_to_dict

    failures = 0
    for item in items:
        try:
            result = answer(item)
        except QAError as exc:
            failures += 1
            report = on_error(item, exc)
            if as_json:
                _echo_json(report)
            else:
                click.echo(f"Error: {report['error']}", err=True)
            continue
        if as_json:
            _echo_json(answer_to_dict(result))
        else:
            _print_answer(result)
    if failures:
        sys.exit(2)


@main.command()
@click.argument("question", required=False)
@click.option("--passage", "passages", multiple=True, help="A passage to answer from (repeatable).")
@click.option("--file", "file", type=click.File("rb"),
              help='JSON lines {"question": ..., "passages": [...]}, one answer per line (\'-\' for stdin).')
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
def read(question, passages, file, as_json) -> None:
    """Answer from the given passages only (no index): the reader on its own."""
    from .reader import Reader

    if file is None and not (question and passages):
        raise click.UsageError('give --file QUESTIONS.jsonl (lines {"question": ..., "passages": [...]}), '
                               "or a QUESTION with one or more --passage TEXT.")
    items = [(1, {"question": question, "passages": list(passages)})] if file is None else _lines(file)
    reader = Reader.standalone()
    _answer_each(items, lambda item: reader.read(*_read_item(item[1], item[0])),
                 lambda item, exc: {"line": item[0], "error": str(exc)}, as_json)


def _read_item(item: str | dict, n: int) -> tuple[str, list[str]]:
    """A `qa read` input line as (question, passages); InputError naming the line and the fix."""
    from .errors import InputError

    if isinstance(item, str):
        try:
            item = json.loads(item)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {n}: not JSON ({exc.msg}); write one object per line, e.g. "
                             '{"question": "组长是谁", "passages": ["组 长：韩加政 市政府副市长"]}') from None
    if not isinstance(item, dict):
        raise InputError(f"line {n}: expected a JSON object with 'question' and 'passages'.")
    question, passages = item.get("question"), item.get("passages")
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"line {n}: 'question' must be a non-empty string.")
    if not isinstance(passages, list) or not passages or not all(isinstance(p, str) for p in passages):
        raise InputError(f"line {n}: 'passages' must be a non-empty list of strings.")
    return question, passages


def _print_answer(answer) -> None:
    for notice in answer.notices:
        click.echo(f"note: {notice}", err=True)
    click.echo(answer.answer)
    if answer.citations:
        click.echo("")
        for c in answer.citations:
            source = (f"{c.title}（{c.doc_number or '无文号'}，{c.issue}，第{c.page or '?'}页）" if c.doc_id
                      else f"passage {c.passage}")
            click.echo(f"[{c.n}] {source}"
                       f"{' · ' + c.section if c.section else ''}")
            quote = " ".join(c.quote.split())
            click.echo(f"    “{quote[:200]}{'…' if len(quote) > 200 else ''}”")
    click.echo("")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the ratings as a JSON list.")
@click.option("--dev", is_flag=True, help="Print the 👎 questions as dev-set lines (eval/questions.jsonl shape) "
                                         "to check and add by hand.")
def feedback(as_json: bool, dev: bool) -> None:
    """Report the chat's 👍/👎 ratings (QA_FEEDBACK_PATH): counts, reasons, each 👎 with its answer."""
    from .feedback import dev_candidates, load, report

    settings = load_settings()
    items, problems = load(settings.feedback_path)
    for problem in problems:
        click.echo(problem, err=True)
    if dev:
        for row in dev_candidates(items):
            click.echo(json.dumps(row, ensure_ascii=False))
    elif as_json:
        _echo_json([asdict(f) for f in items])
    else:
        click.echo(report(items) if items else f"no ratings yet in {settings.feedback_path}")


@main.command("eval", context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def eval_command(args: tuple[str, ...]) -> None:
    """Run the offline evaluation (eval/run.py); `qa eval --help` lists its options."""
    import importlib.util

    from .config import ROOT

    if importlib.util.find_spec("eval") is None:  # the eval package sits at the repo root
        sys.path.insert(0, str(ROOT))
    from eval.run import main as run_eval

    sys.exit(run_eval(list(args)))


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default: QA_HOST or 127.0.0.1, local only).")
@click.option("--port", type=int, default=None, help="Port (default: QA_PORT or 7860).")
def serve(host: str | None, port: int | None) -> None:
    """Start the chat UI in the browser (Gradio + source pages)."""
    from .ui import serve as run_server

    run_server(load_settings(), host=host, port=port)


if __name__ == "__main__":
    main(sys.argv[1:])
