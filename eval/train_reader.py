"""Learn the reader's sentence-scorer weights and calibrate its refusal threshold, honestly.

    python -m eval.train_reader [--folds 5] [--no-save]

Training data: the dev set's answerable questions plus questions generated from the corpus's
structure (eval/synth.py, their evidence lines disjoint from the dev set's). Retrieval runs once per
question (the real index and embedder); each candidate unit (sentence or table row) of the evidence
gets its feature row and a label (it holds every must_include string).

Reported with k-fold cross-validation over the dev set: for each fold, weights are learned on the
synthetic questions + the other folds, the support threshold is chosen on the other folds, and the
held-out questions are answered with them (unit top-1, answer accuracy, short-answer accuracy,
refusal accuracy, false refusals). Finally the weights learned on everything are written to
qa/reader/weights.json and the report to eval/results/reader_cv.md.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from qa.api import EVIDENCE_DEPTH, Assistant
from qa.config import ROOT, load_settings
from qa.embed import load_embedder
from qa.index import load_index
from qa.retrieve import Retriever
from qa.reader import Reader, analyse
from qa.reader.features import FEATURES
from qa.reader.scorer import Scorer, train
from qa.reader.refusal import support
from qa.reader.verdict import SIGNALS, RefusalModel, fit
from qa.facts.answer import structured_facts
from qa.reader.strategies import STRATEGIES, candidate_units
from qa.retrieve import merge_adjacent
from qa.types import Hit

from .dataset import DEFAULT_QUESTIONS, Question, load_questions
from .metrics import answer_correct, norm, short_answer_correct
from .synth import generate

SUPPORT_GRID = (0.1, 0.2, 0.3, 0.4, 0.5)
L2 = 0.01
WEIGHTS = ROOT / "qa" / "reader" / "weights.json"
REPORT = ROOT / "eval" / "results" / "reader_cv.md"
log = logging.getLogger("train_reader")


@dataclass
class Example:
    question: Question
    hits: list[Hit]
    x: np.ndarray  # candidate units × features
    y: np.ndarray  # 1 where the unit holds the answer


def untrained_assistant(settings) -> Assistant:
    """The real index and embedder with a reader that does not read qa/reader/weights.json (which
    may be stale: this script rewrites it)."""
    data = load_index(settings)
    embedder = load_embedder(settings)
    retriever = Retriever.from_settings(data, embedder, settings)
    reader = Reader(data.lexical.idf(), Scorer(np.zeros(len(FEATURES)), {}), sorted(retriever.years),
                    min_support=0.0, use_model=False)
    return Assistant(settings, data, embedder, retriever=retriever, reader=reader)


def label(text: str, q: Question) -> bool:
    flat = norm(text)
    needles = [norm(s) for s in q.must_include if norm(s)]
    return bool(needles) and all(n in flat for n in needles)


def collect(assistant: Assistant, questions: list[Question]) -> list[Example]:
    from tqdm import tqdm

    examples = []
    for q in tqdm(questions, desc="retrieve + features", unit="q", file=sys.stderr):
        hits = assistant.retriever.search(q.question, None, EVIDENCE_DEPTH)
        x, y = np.zeros((0, len(FEATURES))), np.zeros(0)
        if q.answerable:
            evidence = assistant._evidence(q.question, hits, "")
            units, x = candidate_units(analyse(q.question), evidence, assistant.reader.tools)
            y = np.array([label(u.text, q) for u in units], dtype=float)
        examples.append(Example(q, hits, x, y))
    return examples


def top1(weights: np.ndarray, examples: list[Example]) -> float | None:
    rows = [e for e in examples if e.question.answerable and len(e.x)]
    if not rows:
        return None
    return float(np.mean([e.y[int(np.argmax(e.x @ weights))] for e in rows]))


@dataclass(frozen=True)
class Outcome:
    """One question answered without refusal thresholds, and what the thresholds would look at."""

    answerable: bool
    other_rule: bool  # refused by a rule that has no threshold (year, specifics, names, no evidence)
    support: float
    routed: bool
    best_score: float | None  # of the sentence strategy; None when another strategy answered
    focus: float  # of the sentence strategy's answering unit (1.0 for other strategies)
    signals: np.ndarray | None  # the refusal model's inputs; None when the model does not apply
    refused: bool  # refused without thresholds (no unit holds the asked kind of answer)
    correct: bool
    short_correct: bool
    english: bool = False

    def refused_at(self, min_support: float, model: RefusalModel | None = None) -> bool:
        return (self.refused or self.other_rule or (not self.routed and self.support < min_support)
                or (model is not None and self.signals is not None and model.refuses(self.signals)))


def outcomes(assistant: Assistant, weights: np.ndarray, examples: list[Example]) -> list[Outcome]:
    assistant.reader = Reader(assistant.data.lexical.idf(), Scorer(weights, {}), sorted(assistant.retriever.years),
                              min_support=0.0, use_model=False, strategies=(structured_facts, *STRATEGIES))
    out = []
    for e in examples:
        text = e.question.question
        evidence = assistant._evidence(text, e.hits, "")
        reading = assistant.reader.read_evidence(text, evidence, assistant.sources.cite)
        answer = assistant._answer(text, reading, e.hits, ())
        q = reading.question
        must = e.question.must_include
        out.append(Outcome(
            answerable=e.question.answerable,
            other_rule=bool(reading.refusal and reading.refusal.rule in ("year", "specifics", "named", "no_evidence",
                                                                       "post_missing", "year_conflict", "ordinal_conflict",
                                                                       "kind_missing", "relative_only")),
            support=support(q, evidence.hits, assistant.reader.tools.idf), routed=evidence.routed,
            best_score=reading.candidate.score if reading.candidate.strategy == "sentences" else None,
            focus=reading.candidate.focus,
            signals=None if evidence.routed else reading.candidate.signals,
            refused=bool(reading.refusal and reading.refusal.rule == "answer_type"),
            correct=e.question.answerable and not answer.refused and answer_correct(answer.answer, must),
            short_correct=e.question.answerable and not answer.refused and short_answer_correct(
                answer.short_answer or "", must, text), english=q.english))
    return out


def rates(results: list[Outcome], min_support: float, model: RefusalModel | None = None) -> dict:
    answerable = [o for o in results if o.answerable]
    unanswerable = [o for o in results if not o.answerable]
    ok = [not o.refused_at(min_support, model) for o in answerable]
    correct = sum(o.correct and k for o, k in zip(answerable, ok))
    short = sum(o.short_correct and k for o, k in zip(answerable, ok))
    refused_ok = sum(o.refused_at(min_support, model) for o in unanswerable)
    n_a, n_u = len(answerable), len(unanswerable)
    return {"answer_accuracy": correct / n_a if n_a else None, "short_answer_acc": short / n_a if n_a else None,
            "refusal_accuracy": refused_ok / n_u if n_u else None,
            "false_refusal_rate": ok.count(False) / n_a if n_a else None,
            "overall": (correct + refused_ok) / len(results) if results else 0.0, "n": len(results), "n_answerable": n_a}


MAX_FALSE_REFUSALS = 0.05  # in each language, on the training folds: the limit (4 % gave refusal 0.794 / false 0.032 CV; 5 %: 0.825 / 0.035)
PROBABILITY_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # 1.0: the model never refuses


def calibrate(results: list[Outcome]) -> tuple[float, RefusalModel | None]:
    """The support threshold and refusal model (fitted on these outcomes, its probability threshold
    chosen with it) that make the most questions come out right (answered correctly or refused
    correctly) while refusing at most MAX_FALSE_REFUSALS of the answerable ones; ties go to the
    more permissive choice."""
    rows = [o for o in results if o.signals is not None]
    model = None
    if rows and any(not o.answerable for o in rows) and any(o.answerable for o in rows):
        weights, bias = fit(np.vstack([o.signals for o in rows]), np.array([not o.answerable for o in rows], float))
        model = RefusalModel(weights, bias, 1.0)
    choices = [(s, RefusalModel(model.weights, model.bias, t) if model else None)
               for s in SUPPORT_GRID for t in (PROBABILITY_GRID if model else (1.0,))]
    allowed = [c for c in choices if _worst_false_refusals(results, *c) <= MAX_FALSE_REFUSALS]
    if not allowed:  # even the most permissive choice refuses too much: take the least refusing
        return min(choices, key=lambda c: (rates(results, *c)["false_refusal_rate"], c[0]))
    return max(allowed, key=lambda c: (round(rates(results, *c)["overall"], 6), -c[0],
                                       c[1].threshold if c[1] else 1.0))


def _worst_false_refusals(results: list[Outcome], min_support: float, model: RefusalModel | None) -> float:
    """The higher false-refusal rate of the Chinese and the English questions: a threshold that
    refuses few questions overall but many English ones is not allowed."""
    groups = [[o for o in results if o.english == lang] for lang in (False, True)]
    return max(rates(g, min_support, model)["false_refusal_rate"] or 0.0 for g in groups if g)


def cross_validate(assistant: Assistant, dev: list[Example], synth: list[Example], folds: int,
                   l2: float = 0.01) -> dict:
    rng = np.random.default_rng(0)
    order = rng.permutation(len(dev))
    fold_of = {int(i): f % folds for f, i in enumerate(order)}
    held: list[dict] = []
    for fold in range(folds):
        test = [e for i, e in enumerate(dev) if fold_of[i] == fold]
        train_dev = [e for i, e in enumerate(dev) if fold_of[i] != fold]
        weights = train([(e.x, e.y) for e in synth + train_dev], l2=l2)
        min_support, model = calibrate(outcomes(assistant, weights, train_dev))
        result = rates(outcomes(assistant, weights, test), min_support, model)
        result.update(fold=fold, min_support=min_support, threshold=model.threshold if model else None,
                      unit_top1=top1(weights, test))
        log.info("fold %d: %s", fold, {k: round(v, 3) for k, v in result.items() if isinstance(v, float)})
        held.append(result)
    keys = ("unit_top1", "answer_accuracy", "short_answer_acc", "refusal_accuracy", "false_refusal_rate")
    pooled = {}
    for key in keys:  # weighted by the questions each rate is over
        weight = "n_answerable" if key != "refusal_accuracy" else None
        pairs = [(r[key], r["n_answerable"] if weight else r["n"] - r["n_answerable"]) for r in held
                 if r[key] is not None]
        pooled[key] = sum(v * n for v, n in pairs) / sum(n for _, n in pairs) if pairs else None
    return {"folds": held, "pooled": pooled}


def write_report(cv: dict, final: dict, n_dev: int, n_synth: int, path: Path) -> None:
    lines = [f"# Reader: learned sentence scorer, {len(cv['folds'])}-fold cross-validation", "",
             f"{datetime.now().isoformat(timespec='seconds')} · dev questions {n_dev} · synthetic {n_synth}", "",
             "Held-out dev questions, pooled over folds (weights and support threshold learned without them):", "",
             "| unit top-1 | answer acc | short acc | refusal acc | false refusal |", "|---:|---:|---:|---:|---:|",
             "| " + " | ".join(_f(cv["pooled"][k]) for k in ("unit_top1", "answer_accuracy", "short_answer_acc",
                                                            "refusal_accuracy", "false_refusal_rate")) + " |", "",
             "| fold | support / refusal p | unit top-1 | answer acc | short acc | refusal acc | false refusal |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in cv["folds"]:
        lines.append(f"| {r['fold']} | {r['min_support']:.2f} / {_f(r['threshold'])} | " + " | ".join(
            _f(r[k]) for k in ("unit_top1", "answer_accuracy", "short_answer_acc", "refusal_accuracy",
                               "false_refusal_rate")) + " |")
    model = final["model"]
    lines += ["", f"Final weights (all data); support threshold {final['min_support']:.2f}; refusal model "
              + (", ".join(f"{n} {w:+.3f}" for n, w in zip(SIGNALS, model.weights)) + f", bias {model.bias:+.3f}, "
                 f"refuse above p = {model.threshold:.2f}" if model else "none") + ":", "",
              "| feature | weight |", "|---|---:|"]
    lines += [f"| {name} | {w:+.3f} |" for name, w in zip(FEATURES, final["weights"])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _f(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.train_reader", description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=L2, help="L2 penalty of the sentence scorer")
    ap.add_argument("--no-save", action="store_true", help="report only; keep qa/reader/weights.json")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    started = time.perf_counter()
    dev_questions = load_questions(DEFAULT_QUESTIONS)
    synth_questions = generate(exclude=dev_questions)
    assistant = untrained_assistant(load_settings())
    dev = collect(assistant, dev_questions)
    synth = collect(assistant, synth_questions)
    cv = cross_validate(assistant, dev, synth, args.folds, args.l2)
    weights = train([(e.x, e.y) for e in synth + dev], l2=args.l2)
    min_support, model = calibrate(outcomes(assistant, weights, dev))
    final = {"weights": weights.tolist(), "min_support": min_support, "model": model}
    write_report(cv, final, len(dev), len(synth), REPORT)
    print(REPORT.read_text(encoding="utf-8"))
    if not args.no_save:
        Scorer(weights, {"trained_on": f"{len(dev)} dev + {len(synth)} synthetic questions",
                         "embedder": assistant.data.manifest.get("embedder"),
                         "trained_at": datetime.now().isoformat(timespec="seconds"),
                         "min_support": min_support, "refusal": model.to_dict() if model else None,
                         "cv": cv["pooled"]}).save(WEIGHTS)
        print(f"wrote {WEIGHTS}", file=sys.stderr)
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
