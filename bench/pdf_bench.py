"""PDF ingestion measured against the text corpus (results: bench/results/pdf.md, pdf.json).

    PYTHONPATH=. python bench/make_pdfs.py /tmp/gazette-pdfs          # first: the PDFs
    PYTHONPATH=. python bench/pdf_bench.py /tmp/gazette-pdfs text scan eval

Stages (each adds to bench/results/pdf.json; pdf.md is written from it):
  text  text-layer PDFs -> documents found vs the text corpus (same 文号 and titles), pages per second
  scan  scanned PDFs -> OCR (cache emptied first, so every page is read by the model): pages per second,
        character error rate against the source text, documents found with the right 文号
  rescore  the scan stage's issues again from the OCR cache (after a change in reading its results)
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


def run_pdfs(folder: Path, kind: str, cache: Path, save) -> dict:
    """Issues smallest first, results saved after each (a long OCR run can be stopped and still reported)."""
    rows = {}
    for src in sorted(CORPUS.glob("*.txt"), key=lambda p: p.stat().st_size):
        rows[src.stem] = compare(src, folder / kind / f"{src.stem}.pdf", cache)
        print(kind, src.stem, json.dumps(rows[src.stem], ensure_ascii=False), flush=True)
        save(kind, rows)
    return rows


def qa(env: dict, *args: str) -> str:  # noqa: D103
    out = subprocess.run([sys.executable, "-m", "qa.cli", *args], env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"qa {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def run_eval(folder: Path, cache: Path, work: Path, scanned: list[str]) -> dict:
    """`qa eval --config hybrid` on an index of the text files (a copy of index/, brought up to date)
    and on one built from scratch with the scanned PDFs of the issues in `scanned` (their OCR from the
    cache of the scan stage) and the text files of the others; on all questions and on those whose
    evidence is in a scanned issue."""
    out = {"scanned_issues": scanned}
    mixed = work / "data-scan"
    shutil.rmtree(mixed, ignore_errors=True)
    mixed.mkdir(parents=True)
    for src in CORPUS.glob("*.txt"):
        if src.stem in scanned:
            shutil.copy(folder / "scan" / f"{src.stem}.pdf", mixed)
        else:
            shutil.copy(src, mixed)
    subset = work / "questions-scanned.jsonl"
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    subset.write_text("\n".join(ln for ln in lines if ln.strip() and
                                (json.loads(ln).get("source") or "").removesuffix(".txt") in scanned) + "\n",
                      encoding="utf-8")
    all_scanned = len(scanned) == len(list(CORPUS.glob("*.txt")))  # then the subset is every answerable question
    for name, data_dir in (("text", CORPUS), ("scan", mixed)):
        index = work / f"index-{name}"
        if name == "text" and os.environ.get("BENCH_REUSE_TEXT_EVAL") and (work / "eval-text" / "latest.json").exists():
            latest = json.loads((work / "eval-text" / "latest.json").read_text(encoding="utf-8"))
            out[name] = {"ingest_seconds": None, "ingest_log": ["index up to date (a copy of index/)"],
                         "hybrid": latest["configs"]["hybrid"]["overall"], "index": latest["meta"].get("index")}
            continue
        shutil.rmtree(index, ignore_errors=True)
        if (ROOT / "index" / "manifest.json").exists():
            # start from a copy of the text index: its text issues are reused as they are, and sentences
            # whose OCR text is unchanged reuse their vectors (the same vectors a build from scratch makes)
            shutil.copytree(ROOT / "index", index, ignore=shutil.ignore_patterns(".lock"))
        env = {"QA_DATA_DIR": str(data_dir), "QA_INDEX_DIR": str(index), "QA_OCR_CACHE_DIR": str(cache)}
        started = time.perf_counter()
        ingest_log = subprocess.run([sys.executable, "-m", "qa.cli", "ingest"], cwd=ROOT, capture_output=True,
                                    text=True, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}).stderr
        ingest_s = time.perf_counter() - started
        qa(env, "eval", "--config", "hybrid", "--out", str(work / f"eval-{name}"))
        latest = json.loads((work / f"eval-{name}" / "latest.json").read_text(encoding="utf-8"))
        out[name] = {"ingest_seconds": round(ingest_s, 1),
                     "ingest_log": [ln for ln in ingest_log.splitlines() if ln.startswith(("indexed", "index up", "skipped"))],
                     "hybrid": latest["configs"]["hybrid"]["overall"], "index": latest["meta"].get("index")}
        if not all_scanned:
            qa(env, "eval", "--config", "hybrid", "--questions", str(subset), "--out", str(work / f"eval-{name}-subset"))
            part = json.loads((work / f"eval-{name}-subset" / "latest.json").read_text(encoding="utf-8"))
            out[name]["hybrid_scanned_questions"] = part["configs"]["hybrid"]["overall"]
        print(name, "ingest", round(ingest_s, 1), "s", flush=True)
    return out


def main() -> None:
    folder = Path(sys.argv[1])
    stages = sys.argv[2:] or ["text", "scan", "eval"]
    cache = Path(os.environ.get("BENCH_OCR_CACHE", "/tmp/gazette-ocr-cache"))
    path = RESULTS / "pdf.json"
    results = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    results["machine"] = f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at start"
    def save(kind: str, rows: dict) -> None:
        results[kind] = rows
        path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        (RESULTS / "pdf.md").write_text(report(results), encoding="utf-8")

    if "text" in stages:
        run_pdfs(folder, "text", cache, save)
    if "scan" in stages:
        shutil.rmtree(cache, ignore_errors=True)  # every page through the model: honest pages per second
        results.pop("scan", None)
        run_pdfs(folder, "scan", cache, save)
    if "rescore" in stages:  # the scan stage's issues read again from the OCR cache (after a change of
        rows = {}            # qa/layout.py or qa/ocr.py post-processing); the OCR seconds are kept
        for stem, old in results.get("scan", {}).items():
            rows[stem] = {**compare(CORPUS / f"{stem}.txt", folder / "scan" / f"{stem}.pdf", cache),
                          "seconds": old["seconds"]}
            print("rescore", stem, json.dumps(rows[stem], ensure_ascii=False), flush=True)
        save("scan", rows)
    if "eval" in stages:
        save("eval", run_eval(folder, cache, Path("/tmp/gazette-pdf-eval"), sorted(results.get("scan", {}))))


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.2f} %" if b else "–"


def report(results: dict) -> str:
    out = ["# PDF ingestion (bench/pdf_bench.py)", "",
           f"{results.get('machine', '')}. PDFs made by `bench/make_pdfs.py` from the five text issues "
           "(reportlab; scans: pages rendered at 170 dpi, turned by up to ±0.5°, gaussian noise σ=10, JPEG q70; "
           "OCR at 200 dpi with rapidocr-onnxruntime 1.4.4, PP-OCRv4 det/rec, no angle classifier). "
           "CER: Levenshtein distance between the body text (first document to the end, table rows and page "
           "furniture left out, whitespace removed, NFKC so full- and half-width punctuation are equal) of "
           "the source and of the PDF's text, over the source's length.", ""]
    for kind, title in (("text", "Text-layer PDFs"), ("scan", "Scanned PDFs (OCR of every page)")):
        rows = results.get(kind)
        if not rows:
            continue
        out += [f"## {title}", "",
                "| issue | pages | OCR pages | seconds | pages/s | documents | found | right 文号 | right 文号 + title | CER body |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        tot = Counter()
        for r in rows.values():
            out.append(f"| {r['issue']} | {r['pages']} | {r['ocr_pages']} | {r['seconds']:.1f} | {r['pages'] / r['seconds']:.2f} "
                       f"| {r['documents']} | {r['found']} | {r['right_number']} | {r['right_number_and_title']} "
                       f"| {_pct(r['cer_errors'], r['cer_chars'])} |")
            tot.update({k: r[k] for k in ("pages", "ocr_pages", "seconds", "documents", "found", "right_number",
                                          "right_number_and_title", "cer_errors", "cer_chars")})
        out.append(f"| **all** | {tot['pages']} | {tot['ocr_pages']} | {tot['seconds']:.1f} | {tot['pages'] / tot['seconds']:.2f} "
                   f"| {tot['documents']} | {tot['found']} | {tot['right_number']} ({_pct(tot['right_number'], tot['documents'])}) "
                   f"| {tot['right_number_and_title']} | {_pct(tot['cer_errors'], tot['cer_chars'])} |")
        missed = [f"{r['issue']} {m}" for r in rows.values() for m in r["missed"]]
        out += ["", f"Documents whose 文号 was not found: {', '.join(missed) or 'none'}.", ""]
    ev = results.get("eval")
    if ev:
        keys = ("answer_accuracy", "short_answer_acc", "hit@5", "mrr@10", "doc_hit@5", "citation_precision",
                "refusal_accuracy", "false_refusal_rate")
        scanned = ev.get("scanned_issues", [])
        out += ["## Dev-set accuracy: index from the scanned PDFs vs from the text files", "",
                "`qa eval --config hybrid` with QA_DATA_DIR/QA_INDEX_DIR pointing at each build (each an incremental "
                "`qa ingest` over a copy of the text index; the scanned issues' chunks are all embedded anew). The scan build "
                f"reads the scanned PDFs of {len(scanned)} of the 5 issues ({', '.join(scanned)}) and the text "
                "files of the others, if any; when not all are scanned, a second row per build has the "
                "questions whose evidence is in a scanned issue.", "",
                "| build | questions | documents | chunks | " + " | ".join(keys) + " |",
                "|---|---|---:|---:|" + "---:|" * len(keys)]
        for name in ("text", "scan"):
            if name not in ev:
                continue
            idx = ev[name].get("index") or {}
            for label, field in (("all", "hybrid"), ("scanned issues", "hybrid_scanned_questions")):
                if field not in ev[name]:
                    continue
                row = ev[name][field]
                out.append(f"| {name} | {label} (n={row['n']}) | {idx.get('n_documents', '?')} | {idx.get('n_chunks', '?')} | "
                           + " | ".join(f"{row[k]:.3f}" for k in keys) + " |")
        if "text" in ev and "scan" in ev:
            for label, field in (("all questions", "hybrid"), ("questions on scanned issues", "hybrid_scanned_questions")):
                if field not in ev["scan"] or field not in ev["text"]:
                    continue
                d = ev["scan"][field]["answer_accuracy"] - ev["text"][field]["answer_accuracy"]
                out.append(f"\nAnswer accuracy, scan build minus text build, {label}: {d:+.3f} (target: within 0.05).")
            out += ["", f"Ingest of the scan build from scratch (OCR cache warm, embedding included): "
                        f"{ev['scan']['ingest_seconds']} s; {'; '.join(ev['scan']['ingest_log'])}"]
    if results.get("notes"):
        out += ["", "## Notes", ""] + [f"- {n}" for n in results["notes"]]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
