"""Questions answered end to end (`Assistant.ask`: retrieval, records, reader) from store-layout indexes
of 100k and 1M synthetic chunks, next to the real 1,223-chunk index in both layouts (bench/results/scale.md,
"End to end").

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/store_ask_bench.py [--sizes 100000 1000000]

Synthetic corpora from the real index (`qa ingest` first), in whole copies of it: copy 0 is the real
corpus as it is (its documents, records, chunks, vectors); copy j ≥ 1 is every document, record and
chunk again with numbers, years, person names and the city changed the same way throughout the copy
(length kept, so every offset stays valid: the city is one of the two-character ones), ids prefixed
`c<j>-`, chunk vectors and sentence vectors = the real ones + Gaussian noise (sigma 0.03, re-normalised),
BM25 tokens = the real chunk's jieba tokens changed the same way. So the dev questions' answers are in
copy 0 and ~800 perturbed look-alikes of every document compete with them at 1M.

Each build and each serving run is a child process (peak RSS of it and its workers, sampled every
0.2 s). Serving: load the embedder, `Assistant.load` (timed), one warm-up question, every question's
query vector made once (timed apart: "query embedding"), then `ask` on each (wall time, and its
`timings_ms["retrieve"]`). Agreement: the share of questions whose answer (refused or not, and the short
answer and first cited document when answered) equals the 1,223-chunk files layout's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import time
import zlib
from array import array
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import scale_bench  # noqa: E402
from scale_bench import CITIES, GIVEN, SIGMA, SURNAMES, YEAR, _tree_rss, percentile  # noqa: E402

CITIES2 = [c for c in CITIES if len(c) == 3 and c != "阳泉市"]  # two-character short names: lengths kept


class CopyPerturb:
    """Numbers, years, person names and the city of copy j, changed one way throughout the copy."""

    def __init__(self, names: list[str]) -> None:
        self.names = set(names)
        self.pattern = re.compile("|".join([r"\d+", *map(re.escape, names)]) if names else r"\d+")

    def city(self, j: int) -> str:
        return "阳泉市" if j == 0 else CITIES2[(j - 1) % len(CITIES2)]

    def value(self, value: str, j: int) -> str:
        if j == 0:
            return value
        h = zlib.crc32(f"{j}:{value}".encode())
        if value.isdigit():
            if YEAR.fullmatch(value):
                return str(2005 + h % 20)
            return str(h % 10 ** min(len(value), 6)).zfill(len(value))
        if value in self.names:
            return SURNAMES[h % len(SURNAMES)] + "".join(GIVEN[(h >> (5 * k)) % len(GIVEN)] for k in range(len(value) - 1))
        return value

    def text(self, text: str | None, j: int) -> str | None:
        if j == 0 or not text:
            return text
        short = self.city(j).removesuffix("市")
        return self.pattern.sub(lambda m: self.value(m.group(0), j), text).replace("阳泉", short)

    def tokens(self, tokens: list[str], j: int) -> list[str]:
        if j == 0:
            return tokens
        short = self.city(j).removesuffix("市")
        return [self.value(t, j).replace("阳泉", short) if (t.isdigit() or t in self.names or "阳泉" in t) else t
                for t in tokens]


def real_corpus():
    from qa.config import load_settings
    from qa.index import load_index

    settings = load_settings()
    data = load_index(settings)
    names = sorted({f.person for f in data.facts or () if f.person and 2 <= len(f.person) <= 4}, key=len, reverse=True)
    return settings, data, CopyPerturb(names)


def copy_doc(doc, j: int, p: CopyPerturb):
    if j == 0:
        return doc
    source = f"c{j}-{p.city(j)}-{doc.source}"
    year = int(p.value(str(doc.issue.year), j))
    return replace(doc, doc_id=f"c{j}-{doc.doc_id}", title=p.text(doc.title, j), doc_number=p.text(doc.doc_number, j),
                   doc_number_norm=p.text(doc.doc_number_norm, j), issuer=p.text(doc.issuer, j),
                   date=p.text(doc.date, j), source=source, issue=replace(doc.issue, source=source, year=year),
                   body=p.text(doc.body, j), city=p.city(j))


def step_build(n: int, directory: Path, workers: int) -> dict:
    """The store-layout index of n synthetic chunks in `directory` (manifest.json + data-bench/)."""
    from qa.backend import ChunkRecord
    from qa.doc_table import DB, DocTable
    from qa.lexical import tokenize
    from qa.local_store import LocalStore, disk_bytes
    from qa.reader.units import split_units
    from qa.store_index import STORE, UnitTable, index_chunks_by_doc, unit_hashes
    from qa.text import squash
    from qa.types import Chunk

    settings, data, p = real_corpus()
    started = time.perf_counter()
    real, n_real = data.chunks, len(data.chunks)
    copies = -(-n // n_real)
    base = directory / "data-bench"
    (base / STORE).mkdir(parents=True, exist_ok=True)
    docs: dict[str, object] = {}  # the current copy's documents (rows come copy by copy)
    current = [0]

    def doc_of(doc_id: str, j: int):
        if j != current[0]:
            docs.clear()
            current[0] = j
        if doc_id not in docs:
            docs[doc_id] = copy_doc(data.documents[doc_id], j, p)
        return docs[doc_id]

    vectors = np.lib.format.open_memmap(base / "input-vectors.npy", mode="w+", dtype=np.float32, shape=(n, data.vectors.shape[1]))
    rng = np.random.default_rng(0)
    for i in range(0, n, 50_000):
        rows = np.arange(i, min(n, i + 50_000))
        block = data.vectors[rows % n_real] + np.where((rows >= n_real)[:, None], rng.normal(0, SIGMA, (len(rows), data.vectors.shape[1])), 0).astype(np.float32)
        vectors[i:i + len(rows)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    vectors.flush()

    def records():
        for i in range(n):
            j, c = divmod(i, n_real)
            c = real[c]
            doc = doc_of(c.doc_id, j)
            chunk = c if j == 0 else Chunk(chunk_id=f"c{j}-{c.chunk_id}", doc_id=doc.doc_id, section=p.text(c.section, j),
                                           start=c.start, end=c.end, text=p.text(c.text, j), header=p.text(c.header, j))
            yield ChunkRecord.of(chunk, doc)

    base_tokens = [tokenize(c.indexed_text) for c in real]
    LocalStore.build(base / STORE, records(), np.load(base / "input-vectors.npy", mmap_mode="r"), workers=workers,
                     tokens=(p.tokens(base_tokens[i % n_real], i // n_real) for i in range(n)))
    (base / "input-vectors.npy").unlink()
    index_chunks_by_doc(base / STORE)
    store_s = time.perf_counter() - started
    # documents (only those with a chunk in the first n rows) and their records
    wanted = {j: {c.doc_id for c in real[: min(n_real, n - j * n_real)]} for j in range(copies)}
    all_docs = (copy_doc(data.documents[d], j, p) for j in range(copies) for d in data.documents if d in wanted[j])
    facts = (f if j == 0 else replace(f, doc_id=f"c{j}-{f.doc_id}", source=f"c{j}-{p.city(j)}-{f.source}",
                                      subject=p.text(f.subject, j), value=p.text(f.value, j), person=p.text(f.person, j),
                                      post=p.text(f.post, j), unit=p.text(f.unit, j), date=p.text(f.date, j),
                                      parent=p.text(f.parent, j), detail=p.text(f.detail, j))
             for j in range(copies) for f in data.facts if f.doc_id in wanted[j])
    DocTable.write(base / DB, all_docs, facts)
    docs.clear()
    # sentence/row and title vectors: one per distinct text, a copy's changed texts get noisy copies
    unit_texts = [[u.text for u in split_units(c, 0)] for c in real]
    titles = [d.title for d in data.documents.values()]
    keys: dict[str, tuple[int, int, int]] = {}  # squashed text -> (its row, row of the real vector, copy)
    chunk_units, ptr = array("q"), array("q", [0])  # each chunk's unit rows (in split order)
    for j in range(copies):
        for c in range(min(n_real, n - j * n_real)):
            for text in unit_texts[c]:
                real_row = data.units.row.get(squash(text))
                if real_row is not None:
                    chunk_units.append(keys.setdefault(squash(p.text(text, j)), (len(keys), real_row, j))[0])
            ptr.append(len(chunk_units))
        for title in titles:
            real_row = data.units.row.get(squash(title))
            if real_row is not None:
                keys.setdefault(squash(p.text(title, j)), (len(keys), real_row, j))
    np.save(base / "chunk_units.npy", np.frombuffer(chunk_units, dtype=np.int64))
    np.save(base / "chunk_unit_ptr.npy", np.frombuffer(ptr, dtype=np.int64))
    del chunk_units, ptr
    units = np.lib.format.open_memmap(base / "units.npy", mode="w+", dtype=np.float16, shape=(len(keys), data.units.vectors.shape[1]))
    source = np.array([r for _, r, _ in keys.values()], dtype=np.int64)
    copy = np.array([j for _, _, j in keys.values()], dtype=np.int64)
    for i in range(0, len(keys), 100_000):
        block = data.units.vectors[source[i:i + 100_000]].astype(np.float32)
        noisy = copy[i:i + 100_000] > 0
        block[noisy] += rng.normal(0, SIGMA, (int(noisy.sum()), block.shape[1])).astype(np.float32)
        units[i:i + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    units.flush()
    UnitTable.write(base, unit_hashes(list(keys)), units, texts=False)
    n_units = len(keys)
    del keys, units
    n_docs = sum(len(w) for w in wanted.values())
    manifest = {**{k: v for k, v in data.manifest.items() if k not in ("checksums", "files")}, "data": base.name,
                "layout": "store", "n_chunks": n, "n_documents": n_docs, "n_units": n_units, "files": {}}
    (directory / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return {"build_s": time.perf_counter() - started, "store_s": store_s, "disk_bytes": disk_bytes(base),
            "n_docs": n_docs, "n_units": n_units}


def step_ask(index_dir: str, questions: list[str]) -> dict:
    from qa.api import Assistant
    from qa.config import load_settings
    from qa.embed import load_embedder

    load_avg = os.getloadavg()[0]
    settings = load_settings(index_dir=Path(index_dir) if index_dir != "-" else None)
    embedder = load_embedder(settings)
    t = time.perf_counter()
    assistant = Assistant.load(settings, embedder)
    load_s = time.perf_counter() - t
    rss_loaded = _tree_rss(os.getpid()) / 1e9
    assistant.ask("阳泉市数字政府建设领导小组组长是谁")  # warm-up: the reader's first-use setup, page faults
    assistant.retriever.clear_cache()
    embed_ms = []
    for q in questions:
        t = time.perf_counter()
        assistant.retriever.dense.query_vector(q)
        embed_ms.append((time.perf_counter() - t) * 1000)
    ask_ms, retrieve_ms, answers = [], [], []
    for q in questions:
        t = time.perf_counter()
        answer = assistant.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
        retrieve_ms.append(answer.timings_ms.get("retrieve", 0.0))
        answers.append([answer.refused, answer.short_answer or "",
                        answer.citations[0].doc_id if answer.citations else None])
    return {"load_s": load_s, "rss_loaded_gb": rss_loaded, "load_avg": [load_avg, os.getloadavg()[0]], "embed_ms": embed_ms, "ask_ms": ask_ms,
            "retrieve_ms": retrieve_ms, "answers": answers, "layout": type(assistant.data).__name__}


def run_child(args: list[str]) -> tuple[dict, float]:
    """One step of this bench in a child process: its result and peak RSS (GB)."""
    return scale_bench.run_child(args, script=__file__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--store-real", type=Path, default=Path("/tmp/store-idx"),
                        help="the real corpus in the store layout (QA_LOCAL_LAYOUT=store qa ingest into it); skipped if absent")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/store-ask-bench"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/store-ask-bench.json"))
    parser.add_argument("--keep", action="store_true", help="keep the built indexes")
    parser.add_argument("--step", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step is not None:
        kind = args.step[0]
        result = (step_build(int(args.step[1]), Path(args.step[2]), int(args.step[3])) if kind == "build"
                  else step_ask(args.step[1], json.loads(args.step[2])))
        print(json.dumps(result, ensure_ascii=False))
        return
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][: args.queries]
    rows = []
    runs = [("files", 1223, "-", None)]
    if (args.store_real / "manifest.json").exists():
        runs.append(("store", 1223, str(args.store_real), None))
    runs += [("store", n, str(args.dir / f"store-{n}"), n) for n in args.sizes]
    for layout, n, index_dir, build in runs:
        built, build_rss = {}, None
        if build:
            shutil.rmtree(index_dir, ignore_errors=True)
            print(f"{n}: building", file=sys.stderr, flush=True)
            built, build_rss = run_child(["build", str(n), index_dir, str(args.workers)])
            print(f"{n}: built {built}, peak {build_rss:.2f} GB", file=sys.stderr, flush=True)
        asked, ask_rss = run_child(["ask", index_dir, json.dumps(questions, ensure_ascii=False)])
        print(f"{layout} {n}: load {asked['load_s']:.2f} s, ask p50 {statistics.median(asked['ask_ms']):.0f} ms, "
              f"peak {ask_rss:.2f} GB", file=sys.stderr, flush=True)
        rows.append({"layout": layout, "n": n, "built": built, "build_rss_gb": build_rss, "ask_rss_gb": ask_rss, **asked})
        args.out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.machine(),
                                        "cpus": os.cpu_count(), "load": os.getloadavg()[0], "rows": rows},
                                       ensure_ascii=False), encoding="utf-8")
        if build and not args.keep:
            shutil.rmtree(index_dir, ignore_errors=True)
    table(rows)


def table(rows: list[dict]) -> None:
    med = lambda v: statistics.median(v)
    p95 = lambda v: percentile(v, 0.95)
    ref = rows[0]["answers"]
    print("| chunks | layout | build s | build peak RSS GB | on disk GB | load s | RSS after load GB | peak RSS asking GB "
          "| ask p50 ms | ask p95 ms | ask + query embedding p50 ms | p95 ms | retrieval p50 ms | retrieval p95 ms "
          "| query embedding p50 ms | same answer as 1,223 files | load avg |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        b = r["built"]
        with_embed = [a + e for a, e in zip(r["ask_ms"], r["embed_ms"])]
        same = sum(a == b_ for a, b_ in zip(r["answers"], ref)) / len(ref)
        name = {"IndexData": "files (loaded whole)", "StoreIndex": "store (lazy)"}[r["layout"]]
        built = (f"{b['build_s']:.0f} | {r['build_rss_gb']:.2f} | {b['disk_bytes'] / 1e9:.2f}" if b
                 else "– (qa ingest) | – | –")
        print(f"| {r['n']:,} | {name} | {built} | {r['load_s']:.2f} | "
              f"{r['rss_loaded_gb']:.2f} | {r['ask_rss_gb']:.2f} | {med(r['ask_ms']):.0f} | {p95(r['ask_ms']):.0f} | "
              f"{med(with_embed):.0f} | {p95(with_embed):.0f} | {med(r['retrieve_ms']):.1f} | {p95(r['retrieve_ms']):.1f} | "
              f"{med(r['embed_ms']):.1f} | {same:.3f} | {'–'.join(f'{x:.0f}' for x in r.get('load_avg', []))} |")


if __name__ == "__main__":
    main()
