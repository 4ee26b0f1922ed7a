"""FAISS search benchmark: exact IndexFlatIP vs HNSW and IVF on synthetic embeddings.

Run (from the repo root, inside the project venv):

    .venv/bin/python bench/faiss_bench.py        # 10k, 100k, 1M: ~6-12 min on 2 cores
    .venv/bin/python bench/faiss_bench.py --sizes 10000 --queries 300 --out /tmp/faiss.md

This is a benchmark script, not a test. Progress goes to stderr; the Markdown
table is printed to stdout and written to --out (default bench/results/faiss.md).

Data: 384-dim float32 unit vectors (the embedding dim of multilingual-e5-small)
from a clustered synthetic distribution: 1000 random unit centres; each point is
centre + a Gaussian in a random LOCAL_DIM-dim subspace of that cluster (norm ~SPREAD)
+ small isotropic noise (norm ~0.3), then L2-normalised. Defaults --spread 1.0
--local-dim 16 give cos(point, own centre) ~0.7 and a low intrinsic dimension, as
real sentence embeddings have. Uniform random data has no neighbourhood structure
and is a worst case for ANN indexes; --local-dim 384 is the isotropic (harder) case.
The clusters are well separated (centres ~orthogonal): HNSW then needs
efConstruction=100 (not the default 40) to link them, see the HNSW constants.

Queries: half are database vectors perturbed with small noise (near-duplicate
lookups), half are fresh draws from the same mixture (unseen "random" questions).
Each query is searched on its own (batch size 1, k=10) to measure per-query
latency; recall@10 is measured against the exact IndexFlatIP result.
Memory is the size of faiss.serialize_index(index). FAISS runs with 2 OpenMP
threads; other processes may share the CPU, so load averages are recorded.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

DIM = 384
K = 10
N_CENTERS = 1000
ISO_NOISE = 0.3  # norm of the isotropic noise added to every point
THREADS = 2
HNSW_M, HNSW_EF_CONSTRUCTION = 32, 100  # efC=40 missed whole clusters at 1M (recall 0.75-0.85)
HNSW_EF_SEARCH = (64, 128, 256)
IVF_NPROBE = (16, 32)
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "faiss.md"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def normalize(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


@dataclass
class Mixture:
    """Mixture of N_CENTERS low-rank Gaussians on the unit sphere (see module docstring)."""
    spread: float
    local_dim: int
    seed: int

    def __post_init__(self) -> None:
        rng = np.random.default_rng((self.seed, 0))
        self.centers = normalize(rng.standard_normal((N_CENTERS, DIM), dtype=np.float32))

    def basis(self, k: int) -> np.ndarray:
        """Random local_dim-dim subspace of cluster k (rows ~unit norm), reproducible."""
        rng = np.random.default_rng((self.seed, 1, k))
        return rng.standard_normal((self.local_dim, DIM), dtype=np.float32) / math.sqrt(DIM)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        labels = rng.integers(0, N_CENTERS, n)
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(N_CENTERS + 1))
        out = np.empty((n, DIM), dtype=np.float32)
        for k in range(N_CENTERS):
            idx = order[bounds[k]:bounds[k + 1]]
            if len(idx) == 0:
                continue
            z = rng.standard_normal((len(idx), self.local_dim), dtype=np.float32)
            block = (z * (self.spread / math.sqrt(self.local_dim))) @ self.basis(k)
            iso = rng.standard_normal((len(idx), DIM), dtype=np.float32)
            block += iso * (ISO_NOISE / math.sqrt(DIM))
            block += self.centers[k]
            out[idx] = normalize(block)  # rows stay in random cluster order (matters for HNSW)
        return out


def make_queries(rng: np.random.Generator, mix: Mixture, xb: np.ndarray, nq: int) -> np.ndarray:
    n_near = nq // 2
    idx = rng.choice(len(xb), n_near, replace=False)
    near = xb[idx] + rng.standard_normal((n_near, DIM), dtype=np.float32) * (0.3 / math.sqrt(DIM))
    fresh = mix.sample(rng, nq - n_near)
    return np.ascontiguousarray(np.vstack([normalize(near), fresh]), dtype=np.float32)


def ivf_nlist(n: int) -> int:
    return int(round(4 * math.sqrt(n)))


def index_bytes(index: faiss.Index) -> int:
    return int(faiss.serialize_index(index).size)


def time_queries(index: faiss.Index, xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Search one query at a time. Returns (latencies in ms, ids [nq, K])."""
    lat = np.empty(len(xq))
    ids = np.empty((len(xq), K), dtype=np.int64)
    index.search(xq[:1], K)  # warm-up
    for i in range(len(xq)):
        t0 = time.perf_counter()
        _, I = index.search(xq[i:i + 1], K)
        lat[i] = (time.perf_counter() - t0) * 1e3
        ids[i] = I[0]
    return lat, ids


def recall_at_k(ids: np.ndarray, gt: np.ndarray) -> float:
    hits = sum(len(np.intersect1d(a[a >= 0], b)) for a, b in zip(ids, gt))
    return hits / gt.size


def row(n, name, params, build_s, nbytes, lat, rec) -> dict:
    return dict(n=n, name=name, params=params, build_s=build_s, mb=nbytes / 2**20,
                med=float(np.median(lat)), p95=float(np.percentile(lat, 95)), recall=rec,
                load=os.getloadavg()[0])


def sweep(n: int, name: str, index: faiss.Index, build: float, xq: np.ndarray,
          gt: np.ndarray, settings: list) -> list[dict]:
    """Time `index` once per (params label, setter) in settings."""
    nbytes, out = index_bytes(index), []
    for label, apply in settings:
        apply()
        lat, ids = time_queries(index, xq)
        out.append(row(n, name, label, build, nbytes, lat, recall_at_k(ids, gt)))
        log(f"N={n:,}: {name} {label}: median {out[-1]['med']:.2f} ms, "
            f"recall@{K} {out[-1]['recall']:.3f}")
    return out


def bench_size(n: int, nq: int, mix: Mixture) -> list[dict]:
    rng = np.random.default_rng((mix.seed, 2, n))
    t0 = time.perf_counter()
    xb = mix.sample(rng, n)
    xq = make_queries(rng, mix, xb, nq)
    log(f"N={n:,}: generated data in {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    flat.add(xb)
    build = time.perf_counter() - t0
    _, gt = flat.search(xq, K)  # batched ground truth
    rows = sweep(n, "IndexFlatIP (exact)", flat, build, xq, gt, [("-", lambda: None)])
    del flat

    m, efc = HNSW_M, HNSW_EF_CONSTRUCTION
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(DIM, m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = efc
    hnsw.add(xb)
    build = time.perf_counter() - t0
    log(f"N={n:,}: HNSW M={m} efC={efc} built in {build:.1f}s")
    rows += sweep(n, "IndexHNSWFlat", hnsw, build, xq, gt, [
        (f"M={m}, efC={efc}, efSearch={ef}", lambda ef=ef: setattr(hnsw.hnsw, "efSearch", ef))
        for ef in HNSW_EF_SEARCH])
    del hnsw

    nlist = ivf_nlist(n)
    ntrain = min(n, 50 * nlist)  # subsample k-means training (faiss default is 256*nlist)
    t0 = time.perf_counter()
    quantizer = faiss.IndexFlatIP(DIM)
    ivf = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(xb[rng.choice(n, ntrain, replace=False)] if ntrain < n else xb)
    ivf.add(xb)
    build = time.perf_counter() - t0
    log(f"N={n:,}: IVF nlist={nlist} (train on {ntrain:,}) built in {build:.1f}s")
    rows += sweep(n, "IndexIVFFlat", ivf, build, xq, gt, [
        (f"nlist={nlist}, nprobe={p}", lambda p=p: setattr(ivf, "nprobe", p))
        for p in IVF_NPROBE])
    return rows


def render(rows: list[dict], header: list[str]) -> str:
    lines = ["# FAISS benchmark (gazette-qa)", "", *[f"- {h}" for h in header], "",
             "| N | index | params | build s | memory MB | median ms/query | p95 ms/query "
             "| recall@10 | load1 |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['name']} | {r['params']} | {r['build_s']:.1f} | "
                     f"{r['mb']:.1f} | {r['med']:.2f} | {r['p95']:.2f} | {r['recall']:.3f} | "
                     f"{r['load']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000",
                    help="comma-separated database sizes (default: %(default)s)")
    ap.add_argument("--queries", type=int, default=200, help="queries per size (default 200)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown output path")
    ap.add_argument("--spread", type=float, default=1.0,
                    help="within-cluster spread relative to the centre norm (default 1.0)")
    ap.add_argument("--local-dim", type=int, default=16,
                    help="intrinsic dim of each cluster (default 16; 384 = isotropic, hardest)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    faiss.omp_set_num_threads(THREADS)
    load_start, t_start = os.getloadavg(), time.perf_counter()
    log(f"faiss {faiss.__version__}, sizes={sizes}, queries={args.queries}, "
        f"loadavg={load_start}")
    mix = Mixture(args.spread, args.local_dim, args.seed)
    rows = [r for n in sizes for r in bench_size(n, args.queries, mix)]

    load_end = os.getloadavg()
    fmt = lambda la: "/".join(f"{v:.2f}" for v in la)  # noqa: E731
    header = [
        f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; host: {platform.node()} "
        f"({os.cpu_count()} CPUs, {platform.machine()}); python {platform.python_version()}; "
        f"faiss {faiss.__version__}; numpy {np.__version__}",
        f"faiss OpenMP threads: {THREADS}; other processes may share the CPU - "
        f"load average (1/5/15 min) at start: {fmt(load_start)}, at end: {fmt(load_end)}; "
        "load1 column = 1-min load right after that row was timed (>2 means CPU contention, "
        "which inflates latencies, mostly of the multi-threaded exact search)",
        f"data: {DIM}-dim unit float32; mixture of {N_CENTERS} random unit centres, each "
        f"point = centre + local Gaussian (dim {args.local_dim}, norm ~{args.spread}) + "
        f"isotropic noise (norm ~{ISO_NOISE}), L2-normalised; seed {args.seed}",
        f"queries: {args.queries} per size (half perturbed DB vectors, half fresh mixture "
        f"draws), searched one at a time, k={K}; recall@{K} vs exact IndexFlatIP",
        "memory = len(faiss.serialize_index(index)); build s is per index "
        "(shared by its rows); IVF k-means trained on min(N, 50*nlist) vectors",
        f"total wall time: {time.perf_counter() - t_start:.0f}s",
    ]
    md = render(rows, header)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    print(md)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
