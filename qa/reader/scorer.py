"""The sentence scorer: a linear model over named features (qa/reader/features.py) whose weights
are learned by listwise softmax regression (eval/train_reader.py) and saved as data
(qa/reader/weights.json, versioned like the index manifest)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .features import FEATURES

WEIGHTS_VERSION = 1


@dataclass(frozen=True)
class Scorer:
    weights: np.ndarray  # one per feature, in FEATURES order
    meta: dict

    def score(self, features: np.ndarray) -> np.ndarray:
        """Scores of the rows of a (units × features) matrix."""
        if features.size == 0:
            return np.zeros(0)
        return features @ self.weights

    @classmethod
    def from_dict(cls, data: dict) -> Scorer:
        if data.get("version") != WEIGHTS_VERSION:
            raise ValueError(f"reader weights version {data.get('version')!r}, expected {WEIGHTS_VERSION}; "
                             "retrain with `python -m eval.train_reader`.")
        names = list(data["features"])
        if names != list(FEATURES):
            raise ValueError(f"reader weights are for features {names}, the code has {list(FEATURES)}; "
                             "retrain with `python -m eval.train_reader`.")
        return cls(np.array(data["weights"], dtype=np.float64), {k: v for k, v in data.items() if k != "weights"})

    def to_dict(self) -> dict:
        return {**self.meta, "version": WEIGHTS_VERSION, "features": list(FEATURES),
                "weights": [round(float(w), 6) for w in self.weights]}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | None = None) -> Scorer:
        """The weights shipped with the package, or those in `path`."""
        text = (path.read_text(encoding="utf-8") if path else
                resources.files("qa.reader").joinpath("weights.json").read_text(encoding="utf-8"))
        return cls.from_dict(json.loads(text))


def train(groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 0.01) -> np.ndarray:
    """Weights that put a correct unit first: `groups` are (features of a question's candidate units,
    0/1 labels); the loss is the softmax cross-entropy of the correct units within each group, plus
    an L2 penalty, minimised with L-BFGS (scipy). Groups without a correct unit are skipped."""
    from scipy.optimize import minimize

    groups = [(x, y / y.sum()) for x, y in groups if len(x) and y.any()]
    if not groups:
        raise ValueError("no question has a correct unit among its candidates: nothing to learn from")

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * l2 * float(w @ w), l2 * w
        for x, target in groups:
            s = x @ w
            top = s.max()
            log_z = top + np.log(np.exp(s - top).sum())
            p = np.exp(s - log_z)
            total += float(log_z - target @ s) / len(groups)
            grad = grad + x.T @ (p - target) / len(groups)
        return total, grad

    result = minimize(loss, np.zeros(groups[0][0].shape[1]), jac=True, method="L-BFGS-B",
                      options={"maxiter": 500})
    return result.x
