"""The local backend at 100k and 1M chunks: build time, peak RSS, size on disk, load time, hybrid
query latency with and without a filter (bench/results/scale.md).

    .venv/bin/python bench/scale_bench.py [--sizes 100000 1000000] [--workers 2] [--baseline 100000] [--jieba]

Synthetic corpora from the real index (`qa ingest` first): chunk i copies real chunk i mod 1,223 with
its numbers, years, person names and the city perturbed, and belongs to one of 30 cities, a year of
2005-2024 and an issue; its vector is the real chunk's vector plus Gaussian noise (sigma 0.03 per
dimension, re-normalised; cosine ~0.86 to the original, ~0.74 to other copies of it), since embedding
a million chunks takes ~35 h here. BM25 tokens: the real chunk's jieba tokens perturbed the same way
as its text (jieba's time is measured apart on --jieba-sample chunks; --jieba tokenizes every chunk). Each step runs in its own process, whose peak RSS (with its workers)
is sampled from /proc every 0.2 s. Queries: the dev-set questions embedded once with the real
embedder (that time is reported apart), each searched 40 deep per route as the Retriever does;
filtered runs alternate a year filter and a city filter.

`--baseline N` also measures today's layout at N chunks (chunks in one JSON file, bm25s built from
token lists, vectors in vectors.npy and again in FAISS, a Python filter loop): `LocalBackend()`
without a directory, which runs qa/retrieve.py's searchers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CITIES = ["阳泉市", "太原市", "大同市", "朔州市", "忻州市", "吕梁市", "晋中市", "长治市", "晋城市", "临汾市",
          "运城市", "石家庄市", "唐山市", "邯郸市", "保定市", "郑州市", "洛阳市", "开封市", "济南市", "青岛市",
          "西安市", "宝鸡市", "呼和浩特市", "包头市", "银川市", "兰州市", "西宁市", "合肥市", "南昌市", "长沙市"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌海波宁鹏飞"
SIGMA = 0.03
YEAR = re.compile(r"20[12]\d")
DIGITS = re.compile(r"\d+")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def real_corpus():
    from qa.config import load_settings
    from qa.index import load_index
    from qa.lexical import tokenize

    data = load_index(load_settings())
    names = sorted({f.person for f in data.facts or () if f.person and 2 <= len(f.person) <= 4}, key=len, reverse=True)
    return data, Perturb(names), [tokenize(c.indexed_text) for c in data.chunks]


class Perturb:
    """Numbers, years, person names and the city of a real chunk changed for synthetic row i, the same
    way in its text and in its tokens (each value is replaced by a function of the row and the value)."""

    def __init__(self, names: list[str]) -> None:
        self.names = set(names)
        self.pattern = re.compile("|".join([r"\d+", *map(re.escape, names)]) if names else r"\d+")

    def value(self, value: str, i: int, city: str) -> str:
        h = zlib.crc32(f"{i // 25}:{value}".encode())  # one document (25 rows) changes a value one way
        if value.isdigit():
            if YEAR.fullmatch(value):
                return str(2005 + h % 20)
            return str(h % 10 ** min(len(value), 6)).zfill(len(value))
        if value in self.names:
            return SURNAMES[h % len(SURNAMES)] + "".join(GIVEN[(h >> (5 * j)) % len(GIVEN)] for j in range(len(value) - 1))
        return value

    def text(self, text: str, i: int, city: str) -> str:
        return self.pattern.sub(lambda m: self.value(m.group(0), i, city), text).replace("阳泉", city.removesuffix("市"))

    def tokens(self, tokens: list[str], i: int, city: str) -> list[str]:
        short = city.removesuffix("市")
        return [self.value(t, i, city).replace("阳泉", short) if (t.isdigit() or t in self.names or "阳泉" in t)
                else t for t in tokens]


def placement(i: int) -> tuple[str, int, int]:
    """City, year and issue number of synthetic row i: 2,000 rows per city block, 500 per year, 100 per issue."""
    return CITIES[(i // 2000) % len(CITIES)], 2005 + (i // 500) % 20, 1 + (i // 100) % 24


def synthetic_records(n: int, data, perturb: Perturb):
    """The records of a synthetic corpus of n chunks (a generator: nothing is held)."""
    from qa.backend import ChunkRecord
    from qa.types import Chunk

    chunks = data.chunks
    for i in range(n):
        base = chunks[i % len(chunks)]
        doc = data.documents[base.doc_id]
        city, year, issue_no = placement(i)
        source = f"{city}-{year}-{issue_no:02d}.txt"
        chunk = Chunk(chunk_id=f"s{i}", doc_id=f"{source}-{base.doc_id}", section=base.section, start=base.start,
                      end=base.end, text=perturb.text(base.text, i, city), header=perturb.text(base.header, i, city))
        yield ChunkRecord(chunk=chunk, city=city, year=year, issue=f"{year}年第{issue_no}期",
                          category=doc.category or "", issuer=doc.issuer or "", source=source)


def synthetic_tokens(n: int, base_tokens: list[list[str]], perturb: Perturb, fresh: bool = False):
    """The BM25 tokens of each synthetic row: its real chunk's jieba tokens, perturbed as its text is
    (jieba itself is timed apart: --jieba). `fresh`: new string objects, as tokenizing each text makes."""
    for i in range(n):
        tokens = perturb.tokens(base_tokens[i % len(base_tokens)], i, placement(i)[0])
        yield [t.encode().decode() for t in tokens] if fresh else tokens


def synthetic_vectors(path: Path, n: int, base: np.ndarray) -> np.ndarray:
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, base.shape[1]))
    rng = np.random.default_rng(0)
    for i in range(0, n, 50_000):
        rows = np.arange(i, min(n, i + 50_000))
        block = base[rows % len(base)] + rng.normal(0, SIGMA, (len(rows), base.shape[1])).astype(np.float32)
        out[i:i + len(rows)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    out.flush()
    return out


# --- steps, each run in a child process -------------------------------------------------------------

def step_build(n: int, directory: Path, workers: int, layout: str, jieba: bool) -> dict:
    from qa.local_store import LocalStore, disk_bytes

    data, perturb, base_tokens = real_corpus()
    directory.mkdir(parents=True, exist_ok=True)
    synthetic_vectors(directory / "input-vectors.npy", n, np.asarray(data.vectors))
    data.units = None
    t = time.perf_counter()
    if layout == "store":
        LocalStore.build(directory / "store", synthetic_records(n, data, perturb),
                         np.load(directory / "input-vectors.npy", mmap_mode="r"), workers=workers,
                         tokens=None if jieba else synthetic_tokens(n, base_tokens, perturb))
    else:
        _baseline_build(directory / "store", list(synthetic_records(n, data, perturb)),
                        np.load(directory / "input-vectors.npy"),
                        None if jieba else list(synthetic_tokens(n, base_tokens, perturb, fresh=True)))
    seconds = time.perf_counter() - t
    (directory / "input-vectors.npy").unlink()
    return {"build_s": seconds, "disk_bytes": disk_bytes(directory / "store")}


def step_jieba(n: int, workers: int) -> dict:
    """jieba's share of a build: n synthetic chunks tokenized by `workers` processes."""
    from qa.local_store import _tokens

    data, perturb, _ = real_corpus()
    texts = [r.chunk.indexed_text for r in synthetic_records(n, data, perturb)]
    t = time.perf_counter()
    count = sum(1 for _ in _tokens(texts, workers))
    return {"chunks_per_s": count / (time.perf_counter() - t)}


def _baseline_build(directory: Path, records, vectors: np.ndarray, tokens) -> None:
    """Today's layout: chunks.json, vectors.npy, dense.faiss (a second copy), bm25s from token lists."""
    import faiss

    from qa.index import make_dense_index
    from qa.lexical import LexicalIndex

    directory.mkdir(parents=True, exist_ok=True)
    rows = [{**r.chunk.__dict__, "city": r.city, "year": r.year, "issue": r.issue, "category": r.category,
             "issuer": r.issuer, "source": r.source} for r in records]
    (directory / "chunks.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    np.save(directory / "vectors.npy", vectors)
    faiss.write_index(make_dense_index(vectors, 300_000), str(directory / "dense.faiss"))
    if tokens is None:
        LexicalIndex.build([f"{r.chunk.header}\n{r.chunk.text}" for r in records]).save(directory / "bm25")
    else:  # what LexicalIndex.build does after tokenizing
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        LexicalIndex(bm25).save(directory / "bm25")


def step_query(n: int, directory: Path, layout: str, questions: list[str]) -> dict:
    from qa.config import load_settings
    from qa.embed import load_embedder
    from qa.retrieve import Filters

    embedder = load_embedder(load_settings())
    t = time.perf_counter()
    if layout == "store":
        from qa.local_store import LocalStore

        store = LocalStore(directory / "store")
        search = store.search
    else:
        search = _baseline_load(directory / "store")
    load_s = time.perf_counter() - t
    embed_ms, vectors = [], []
    for q in questions:
        t = time.perf_counter()
        vectors.append(embedder.embed_queries([q])[0])
        embed_ms.append((time.perf_counter() - t) * 1000)
    filters = [Filters(year=2005 + i % 20) if i % 2 == 0 else Filters(city=CITIES[i % len(CITIES)])
               for i in range(len(questions))]
    search(questions[0], vectors[0], None, 40)  # first query: page faults of the memory maps
    plain, filtered = [], []
    for q, v, f in zip(questions, vectors, filters):
        t = time.perf_counter()
        search(q, v, None, 40)
        plain.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        search(q, v, f, 40)
        filtered.append((time.perf_counter() - t) * 1000)
    return {"load_s": load_s, "embed_ms": embed_ms, "plain_ms": plain, "filtered_ms": filtered}


def _baseline_load(directory: Path):
    import faiss

    from qa.backend import ChunkRecord
    from qa.lexical import LexicalIndex
    from qa.local_backend import LocalBackend
    from qa.types import Chunk

    rows = json.loads((directory / "chunks.json").read_text(encoding="utf-8"))
    fields = ("city", "year", "issue", "category", "issuer", "source")
    records = [ChunkRecord(chunk=Chunk(**{k: v for k, v in r.items() if k not in fields}),
                           **{k: r[k] for k in fields}) for r in rows]
    del rows
    backend = LocalBackend()
    backend.records, backend.vectors = records, np.load(directory / "vectors.npy")
    backend._dense = faiss.read_index(str(directory / "dense.faiss"))
    backend._lexical = LexicalIndex.load(directory / "bm25")
    return backend.search


def run_child(args: list[str], script: str = __file__) -> tuple[dict, float]:
    """Run one step of `script` (this bench or another) in a child process; its result and peak RSS
    (GB, the process and its children)."""
    proc = subprocess.Popen([sys.executable, script, "--step", *args], stdout=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"step {args} failed with exit code {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1]), peak[0] / 1e9


def _tree_rss(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--baseline", type=int, nargs="*", default=[100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/scale-bench"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.md")
    parser.add_argument("--jieba", action="store_true",
                        help="tokenize every synthetic chunk with jieba in the build (slow: it dominates a build)")
    parser.add_argument("--jieba-sample", type=int, default=5000, help="chunks tokenized to time jieba apart")
    parser.add_argument("--step", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step is not None:
        kind, n, directory, layout = args.step[:4]
        if kind == "build":
            result = step_build(int(n), Path(directory), int(args.step[4]), layout, args.step[5] == "1")
        elif kind == "jieba":
            result = step_jieba(int(n), int(args.step[4]))
        else:
            result = step_query(int(n), Path(directory), layout, json.loads(args.step[4]))
        print(json.dumps(result))
        return
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][: args.queries]
    runs = [(n, "baseline") for n in args.baseline] + [(n, "store") for n in args.sizes]
    rows = []
    jieba_rate = None
    if not args.jieba and args.jieba_sample:
        jieba_rate = run_child(["jieba", str(args.jieba_sample), "-", "-", str(args.workers)])[0]["chunks_per_s"]
        print(f"jieba: {jieba_rate:.0f} chunks/s with {args.workers} workers", file=sys.stderr, flush=True)
    for n, layout in runs:
        directory = args.dir / f"{layout}-{n}"
        shutil.rmtree(directory, ignore_errors=True)
        print(f"{layout} {n}: building", file=sys.stderr, flush=True)
        built, build_rss = run_child(["build", str(n), str(directory), layout, str(args.workers),
                                      "1" if args.jieba else "0"])
        print(f"{layout} {n}: {built}, peak {build_rss:.2f} GB; querying", file=sys.stderr, flush=True)
        queried, query_rss = run_child(["query", str(n), str(directory), layout, json.dumps(questions)])
        rows.append((n, layout, built, build_rss, queried, query_rss))
        shutil.rmtree(directory, ignore_errors=True)
        _write(args, rows, len(questions), jieba_rate)


def _write(args, rows, n_questions: int, jieba_rate: float | None) -> None:
    med = lambda v: f"{statistics.median(v):.1f}"
    p95 = lambda v: f"{percentile(v, 0.95):.1f}"
    out = [f"Local backend at scale, {time.strftime('%Y-%m-%d')}, {platform.machine()} {os.cpu_count()} cores, "
           f"{n_questions} dev-set questions, tokenizer workers {args.workers}, load avg {os.getloadavg()[0]:.1f}",
           "", "| chunks | layout | build s | build peak RSS GB | on disk GB | load s | serving RSS GB | "
           "hybrid p50 ms | hybrid p95 ms | filtered p50 ms | filtered p95 ms | query embedding p50 ms |",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, layout, built, build_rss, q, query_rss in rows:
        name = "today's files (baseline)" if layout == "baseline" else "LocalStore"
        out.append(f"| {n:,} | {name} | {built['build_s']:.0f} | {build_rss:.2f} | {built['disk_bytes'] / 1e9:.2f} | "
                   f"{q['load_s']:.2f} | {query_rss:.2f} | {med(q['plain_ms'])} | {p95(q['plain_ms'])} | "
                   f"{med(q['filtered_ms'])} | {p95(q['filtered_ms'])} | {med(q['embed_ms'])} |")
    tokens = ("every chunk tokenized by jieba in the build" if args.jieba else
              f"BM25 tokens = the real chunk's jieba tokens perturbed as its text (build s excludes jieba: it "
              f"tokenized {jieba_rate:.0f} chunks/s with {args.workers} workers here, i.e. +{100_000 / jieba_rate / 60:.0f} "
              f"min per 100k chunks, a stage that streams and adds no memory)")
    out += ["", f"Tokens: {tokens}.",
            "", "Hybrid = dense + BM25, 40 deep each, fused by RRF (no sentence or record searchers, no reader); "
            "query embedding excluded and reported apart. Filtered: a year (≈5 % of chunks) or a city (≈3 %). "
            "Serving RSS: the query process after loading the embedder and the store."]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
