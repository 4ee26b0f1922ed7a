"""The refusal model: given an answer the reader found, how likely is it that the question is not
answered by the gazettes at all? A logistic model over a few signals of how well the answer fits
the question, learned on the dev set with cross-validation (eval/train_reader.py); its weights and
threshold live in qa/reader/weights.json ("refusal")."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..lexical import IdfTable
from ..text import squash
from .clauses import head_share
from .features import key_terms
from .question import Analysis, has_term
from .refusal import focus, support
from .units import Unit, overlap

SIGNALS = ("support", "focus", "key", "key_unit", "specifics", "score", "unit_dense", "dense", "span", "english",
           "words", "focus_zh", "head")


def signals(q: Analysis, unit: Unit, hits, idf: IdfTable, score: float, has_span: bool,
            unit_dense: float | None) -> np.ndarray:
    """The refusal model's inputs for an answer whose first unit is `unit`."""
    passage = f"{unit.chunk.header} {unit.chunk.text}"
    keys = key_terms(q, idf)
    share = focus(q, unit.text, f"{unit.chunk.header} {unit.chunk.section}", idf)
    values = {
        "support": support(q, hits, idf),
        "focus": share,
        "key": overlap(keys, passage, idf) if keys else 1.0,
        "key_unit": overlap(keys, f"{unit.chunk.header} {unit.text}", idf) if keys else 1.0,
        "specifics": (sum(has_term(t, squash(f"{unit.chunk.header}{unit.text}")) for t in q.critical) / len(q.critical)
                      if q.critical else 1.0),
        "score": score,
        "unit_dense": unit_dense if unit_dense is not None else (hits[0].dense_score or 0.0),
        "dense": max((h.dense_score or 0.0) for h in hits) if hits else 0.0,
        "span": float(has_span),
        "english": float(q.english),
        "words": math.log1p(len(q.content)),
        # the focus of a Chinese question alone: its words are the documents' words, so a sentence
        # that lacks most of them (低保, 节日补助 for "每人每年30元补贴") is about something else; an
        # English question's words are glossary guesses, often absent from a right answer
        "focus_zh": 0.0 if q.english else share,
        # what the question asks about (低保节日补助, 共享单车, 点值) named in the answering unit or its section
        "head": head_share(q.text, f"{unit.chunk.section} {unit.text}"),
    }
    return np.array([values[s] for s in SIGNALS], dtype=np.float64)


@dataclass(frozen=True)
class RefusalModel:
    weights: np.ndarray  # one per signal
    bias: float
    threshold: float  # refuse when the probability of "not answerable" exceeds this

    def probability(self, x: np.ndarray) -> float:
        return float(1 / (1 + np.exp(-(x @ self.weights + self.bias))))

    def refuses(self, x: np.ndarray) -> bool:
        return self.probability(x) > self.threshold

    @classmethod
    def from_dict(cls, data: dict | None) -> RefusalModel | None:
        if not data:
            return None
        if list(data["signals"]) != list(SIGNALS):
            raise ValueError(f"the refusal model is for signals {data['signals']}, the code has {list(SIGNALS)}; "
                             "retrain with `python -m eval.train_reader`.")
        return cls(np.array(data["weights"], dtype=np.float64), float(data["bias"]), float(data["threshold"]))

    def to_dict(self) -> dict:
        return {"signals": list(SIGNALS), "weights": [round(float(w), 6) for w in self.weights],
                "bias": round(self.bias, 6), "threshold": round(self.threshold, 6)}


def fit(x: np.ndarray, unanswerable: np.ndarray, l2: float = 0.1) -> tuple[np.ndarray, float]:
    """Logistic regression (L-BFGS) of "not answerable" on the signals; returns (weights, bias)."""
    from scipy.optimize import minimize

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:-1], params[-1]
        logits = z @ w + b
        p = 1 / (1 + np.exp(-logits))
        eps = 1e-12
        value = -np.mean(unanswerable * np.log(p + eps) + (1 - unanswerable) * np.log(1 - p + eps)) + 0.5 * l2 * w @ w
        grad_logits = (p - unanswerable) / len(z)
        return float(value), np.concatenate([z.T @ grad_logits + l2 * w, [grad_logits.sum()]])

    result = minimize(loss, np.zeros(z.shape[1] + 1), jac=True, method="L-BFGS-B")
    w, b = result.x[:-1], result.x[-1]
    return w / scale, float(b - (w / scale) @ mean)  # back to the raw signals
