"""Datasets: the built-in `digits` split and user `.npz` files.

Inputs are served in the model's own layout, NCHW as PyTorch and ONNX take
them (`(N, C, H, W)`, or `(N, K)` for a vector input); `channels_last`
converts to the IR's layout. `digits` is scikit-learn's bundled 8x8
handwritten digits (1797 images, pixel values 0..16), split once with a fixed
seed into 1437 training and 360 test images, stratified by class.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DatasetError

DIGITS_TEST = 360
SPLIT_SEED = 0
BUILTIN = ("digits",)


@dataclass(frozen=True)
class Dataset:
    name: str
    x: np.ndarray      # model layout (NCHW or NK), float32
    y: np.ndarray      # int64 labels

    def __len__(self) -> int:
        return len(self.y)

    def limit(self, n: int | None) -> "Dataset":
        if n is None:
            return self
        if n < 1:
            raise DatasetError(f"--limit must be at least 1, got {n}")
        return Dataset(self.name, self.x[:n], self.y[:n])


def digits_split() -> tuple[Dataset, Dataset]:
    """(train, test) of sklearn's digits; deterministic, no download."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:  # pragma: no cover - depends on the install
        raise DatasetError("the digits dataset needs scikit-learn: pip install 'tritium[train]'") from e
    d = load_digits()
    x = d.images.astype(np.float32)[:, None]        # (1797, 1, 8, 8), values 0..16
    y = d.target.astype(np.int64)
    rng = np.random.default_rng(SPLIT_SEED)
    test = np.zeros(len(y), bool)
    for c in range(10):                              # stratified: 36 test images per class
        idx = np.flatnonzero(y == c)
        test[rng.choice(idx, DIGITS_TEST // 10, replace=False)] = True
    return Dataset("digits-train", x[~test], y[~test]), Dataset("digits", x[test], y[test])


def load_dataset(spec: str) -> Dataset:
    """`digits` (the fixed test split) or a path to an `.npz` with `x` and `y`."""
    if spec == "digits":
        return digits_split()[1]
    if spec == "digits-train":
        return digits_split()[0]
    p = Path(spec)
    if p.suffix != ".npz":
        raise DatasetError(f"unknown dataset '{spec}'; use one of {', '.join(BUILTIN)} "
                           "or a path to an .npz file holding arrays x and y")
    if not p.is_file():
        raise DatasetError(f"dataset file '{spec}' does not exist")
    try:
        with np.load(p, allow_pickle=False) as z:
            x, y = z["x"], z["y"]
    except KeyError as e:
        raise DatasetError(f"'{spec}' must hold arrays named x (inputs) and y (labels); missing {e}") from e
    except (OSError, ValueError) as e:
        raise DatasetError(f"'{spec}' is not a readable .npz file: {e}") from e
    if len(x) != len(y):
        raise DatasetError(f"'{spec}': x has {len(x)} inputs but y has {len(y)} labels")
    for name, a in (("x", x), ("y", y)):
        check_finite(a, f"dataset file '{spec}'", name)
    return Dataset(p.stem, np.asarray(x, np.float32), np.asarray(y, np.int64).reshape(-1))


def check_finite(a: np.ndarray, where: str, array: str = "x") -> None:
    """Refuse NaN or infinite data, naming where, the array and the first bad index:
    an input quantizer would cast it to an arbitrary integer."""
    a = np.asarray(a)
    if a.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(a)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "NaN" if np.isnan(a[idx]) else "an infinite value"
        raise DatasetError(f"{where}: array {array} holds {what} at index {idx} ({int(bad.sum())} "
                           "non-finite values in all); every value must be a finite number: clean "
                           "or drop those inputs")


def channels_last(x: np.ndarray) -> np.ndarray:
    """NCHW -> NHWC (vectors unchanged)."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if x.ndim == 4 else x


def fit_input(x: np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    """Check `x` (model layout) against the IR input `shape` ((H, W, C) or (K,));
    a model with a vector input takes images flattened in (C, H, W) order, as
    `torch.flatten` does. Returns `x` in the model's layout."""
    check_finite(x, f"dataset '{name}'")
    got = tuple(x.shape[1:])
    want = (shape[2], shape[0], shape[1]) if len(shape) == 3 else tuple(shape)
    if len(want) == 1 and int(np.prod(got)) == want[0]:
        return x.reshape(len(x), -1)
    if got != want:
        raise DatasetError(f"dataset '{name}' has inputs of shape {got}, the model takes {want} "
                           "(channels first, batch excluded)")
    return x
