"""The small logistic models the runtime reads (the refusal, the key sentences): fitted by the eval
commands on tuning splits, applied here with numpy alone (scikit-learn's fit / predict without the
dependency)."""
from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def standardise(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's mean and standard deviation (1 where a column is constant)."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def linear(x: np.ndarray, mean: Sequence[float], scale: Sequence[float], weights: Sequence[float], bias: float):
    """The model's logit of one feature vector (or of each row of a matrix)."""
    return ((x - np.asarray(mean)) / np.asarray(scale)) @ np.asarray(weights) + bias


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 100) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method on standardised features."""
    n, d = X.shape
    Xb = np.hstack([X, np.ones((n, 1))])
    w = np.zeros(d + 1)
    reg = np.eye(d + 1) * l2
    reg[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(Xb @ w, -30, 30)))
        grad = Xb.T @ (p - y) + reg @ w
        hess = Xb.T @ (Xb * (p * (1 - p))[:, None]) + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def save_model(model: Any, path: Path) -> None:
    """A model dataclass as the JSON file the runtime reads."""
    path.write_text(json.dumps(asdict(model), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def read_model(cls: type, path: Path, version: int, features: Sequence[str]) -> Any:
    """The model saved at ``path``, or None when there is none or it is of another version or other
    features (a model of other features must be refitted, not read)."""
    if not path.exists():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    if d.get("version") != version or tuple(d.get("features", ())) != tuple(features):
        return None
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})
