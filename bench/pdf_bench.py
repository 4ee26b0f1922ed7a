"""PDF ingestion measured against the text corpus (results: bench/results/pdf.md, pdf.json).

    PYTHONPATH=. python bench/make_pdfs.py /tmp/gazette-pdfs          # first: the PDFs
    PYTHONPATH=. python bench/pdf_bench.py /tmp/gazette-pdfs text scan eval

Stages (each adds to bench/results/pdf.json; pdf.md is written from it):
  text  text-layer PDFs -> documents found vs the text corpus (same 文号 and titles), pages per second
  scan  scanned PDFs -> OCR (cache emptied first, so every page is read by the model): pages per second,
        character error rate against the source text, documents found with the right 文号
  eval  an index built from the scanned PDFs vs one built from the text files: `qa eval --config hybrid`
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.parse import blank_artefacts, parse_text  # noqa: E402
from qa.pdf import read_pdf  # noqa: E402
from qa.text import nfkc  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CORPUS = ROOT / "data" / "gazettes"


def body_text(text: str, first_doc: int) -> str:
    """Body text for the error rate: from the first document on, without table rows, page furniture or
    whitespace, NFKC-normalised (full- and half-width punctuation compare equal)."""
    lines = blank_artefacts(text[first_doc:]).split("\n")
    keep = [ln for ln in lines if "\t" not in ln and not ln.strip().startswith("|")]
    return re.sub(r"\s+", "", nfkc("".join(keep)))


def cer(ref: str, hyp: str) -> tuple[int, int]:
    from rapidfuzz.distance import Levenshtein
    return Levenshtein.distance(ref, hyp), len(ref)


def compare(src: Path, pdf: Path, cache: Path) -> dict:
    ref = parse_text(src.read_text(encoding="utf-8"), src.name)
    started = time.perf_counter()
    got = read_pdf(pdf, cache, progress=False)
    seconds = time.perf_counter() - started
    hyp = parse_text(got.text, pdf.name)
    by_number = Counter(d.doc_number_norm for d in hyp.documents)
    by_both = Counter((d.doc_number_norm, re.sub(r"\s+", "", nfkc(d.title))) for d in hyp.documents)
    number_ok = title_ok = 0
    missed = []
    for d in ref.documents:
        if by_number[d.doc_number_norm] > 0:
            by_number[d.doc_number_norm] -= 1
            number_ok += 1
        else:
            missed.append(d.doc_number_norm)
        key = (d.doc_number_norm, re.sub(r"\s+", "", nfkc(d.title)))
        if by_both[key] > 0:
            by_both[key] -= 1
            title_ok += 1
    ref_body = body_text(src.read_text(encoding="utf-8"), min(d.start for d in ref.documents))
    hyp_body = body_text(got.text, min(d.start for d in hyp.documents)) if hyp.documents else ""
    errors, n = cer(ref_body, hyp_body)
    return {"issue": ref.issue.label, "pages": len(got.sizes), "ocr_pages": len(got.ocr_pages),
            "seconds": round(seconds, 2), "documents": len(ref.documents), "found": len(hyp.documents),
            "right_number": number_ok, "right_number_and_title": title_ok, "missed": missed,
            "issue_ok": (hyp.issue.year, hyp.issue.number) == (ref.issue.year, ref.issue.number),
            "cer_errors": errors, "cer_chars": n}


def run_pdfs(folder: Path, kind: str, cache: Path) -> dict:
    rows = {}
    for src in sorted(CORPUS.glob("*.txt")):
        rows[src.stem] = compare(src, folder / kind / f"{src.stem}.pdf", cache)
        print(kind, src.stem, json.dumps(rows[src.stem], ensure_ascii=False), flush=True)
    return rows


def qa(env: dict, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "qa.cli", *args], env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"qa {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def hybrid_row(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    configs = data.get("configs") or data.get("results") or data
    row = configs["hybrid"] if isinstance(configs, dict) and "hybrid" in configs else configs
    return row


def run_eval(folder: Path, cache: Path, work: Path) -> dict:
    out = {}
    for name, data_dir in (("text", CORPUS), ("scan", folder / "scan")):
        env = {"QA_DATA_DIR": str(data_dir), "QA_INDEX_DIR": str(work / f"index-{name}"),
               "QA_OCR_CACHE_DIR": str(cache)}
        started = time.perf_counter()
        ingest_log = qa(env, "ingest")
        ingest_s = time.perf_counter() - started
        qa(env, "eval", "--config", "hybrid", "--out", str(work / f"eval-{name}"))
        out[name] = {"ingest_seconds": round(ingest_s, 1), "ingest_log": ingest_log.strip().splitlines()[-3:],
                     "eval": json.loads((work / f"eval-{name}" / "latest.json").read_text(encoding="utf-8"))}
        print(name, "ingest", round(ingest_s, 1), "s", flush=True)
    return out


def main() -> None:
    folder = Path(sys.argv[1])
    stages = sys.argv[2:] or ["text", "scan", "eval"]
    cache = Path(os.environ.get("BENCH_OCR_CACHE", "/tmp/gazette-ocr-cache"))
    path = RESULTS / "pdf.json"
    results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    results["machine"] = f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at start"
    if "text" in stages:
        results["text"] = run_pdfs(folder, "text", cache)
    if "scan" in stages:
        shutil.rmtree(cache, ignore_errors=True)  # every page through the model: honest pages per second
        results["scan"] = run_pdfs(folder, "scan", cache)
    if "eval" in stages:
        results["eval"] = run_eval(folder, cache, Path("/tmp/gazette-pdf-eval"))
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
