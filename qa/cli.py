"""The `qa` command: a thin layer over the Python API. With --json, stdout carries only JSON."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from .config import load_settings
from .errors import QAError


def _fail(exc: QAError) -> None:
    raise click.ClickException(str(exc))


def _echo_json(value: object) -> None:
    click.echo(json.dumps(value, ensure_ascii=False))


@click.group()
@click.version_option(package_name="gazette-qa")
def main() -> None:
    """公报问答 — ask the 阳泉市人民政府公报 questions, get cited answers."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Ignore the existing index and build from scratch.")
def ingest(paths: tuple[Path, ...], rebuild: bool) -> None:
    """Build or update the index from gazette text files (default: data/gazettes/)."""
    from .ingest import ingest as run_ingest

    settings = load_settings()
    try:
        report = run_ingest(settings, list(paths) or None, rebuild=rebuild)
    except QAError as exc:
        _fail(exc)
    for line in report.failed:
        click.echo(f"skipped: {line}", err=True)
    if not report.written:
        click.echo(f"index up to date: {report.files} files, {report.documents} documents, "
                   f"{report.chunks} chunks ({report.seconds:.2f} s, nothing embedded)", err=True)
        return
    click.echo(
        f"indexed {report.files} files, {report.documents} documents, {report.chunks} chunks "
        f"in {report.seconds:.1f} s; embedded {report.embedded} chunks "
        f"({report.chunks_per_second:.1f} chunks/s); unchanged {len(report.reused_files)}, "
        f"changed/new {len(report.changed_files)}, removed {len(report.removed_files)} -> {settings.index_dir}",
        err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of documents.")
def docs(paths: tuple[Path, ...], as_json: bool) -> None:
    """List the parsed documents and TOC coverage per issue."""
    from .catalog import catalog

    settings = load_settings()
    try:
        rows, summaries = catalog(settings, list(paths) or None)
    except QAError as exc:
        _fail(exc)
    if as_json:
        _echo_json([asdict(r) for r in rows])
    else:
        for r in rows:
            click.echo(f"{r.doc_id}  {r.issue}  p.{r.page or '?':>3}  {r.doc_number or '-':<16} "
                       f"{r.date or '-':<10}  {r.category or '-'}  {r.title}  [{r.n_chunks} chunks]")
    for s in summaries:
        click.echo(s, err=True)


if __name__ == "__main__":
    main(sys.argv[1:])
