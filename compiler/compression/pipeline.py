"""The compress pipeline (issue 3, items 3-4), one stage per function:

1. `train_teacher`  the float model (weights and activations unquantized).
2. `regularize`     shape the PE groups: WPC, group lasso, FlipOut tracking,
                    or nothing (magnitude); float, distilled from the teacher.
3. `sweep`          for each candidate rate: prune the lowest-scoring groups of
                    every ternary layer, ternarize, re-estimate BN (adaptive
                    BN), score on a validation split held out of training.
4. `choose_rate`    the knee of that curve (Kneedle), or the rate a target
                    PE-wise compression needs.
5. `finetune`       prune at that rate (groups frozen to zero by masks),
                    ternarize and QAT-retrain with knowledge distillation.

Pruning is per layer at a uniform rate over the ternary layers (the first
and last, integer, layers are never pruned); the rate `r` removes
`ceil(r·G)` of a layer's `G` groups, so the group density is at most `1 - r`
and the PE-wise rate at least `16 / (1 - r)`.

WPC defaults to the rank variant (τ = the k-th smallest group norm). On a
small, briefly trained network the group norms sit within a few percent of
their mean, so the mean variant's τ = 0.7·mean lies below every group and
clips nothing; the rank variant always penalizes the weakest ρ·G groups, and
with a target compression ρ is the target's rate.
"""
from __future__ import annotations

import contextlib
import copy
import math
from dataclasses import dataclass, field
from typing import Callable, ContextManager

import torch
from torch import nn

from ..errors import OptionError
from .adabn import adaptive_bn
from .flipout import FlipTracker
from .groups import expand_group_mask, group_lasso, group_norms, lowest_groups, wpc_penalty
from .kd import KDConfig
from .methods import Method
from .knee import find_knee
from .modules import freeze_act_scales, set_quant_enabled, ternary_layers
from .train import Fit, Split, accuracy, holdout

Log = Callable[[str], None]
# `progress(total, description)` -> a context giving `advance(k=1)`; the CLI's is a rich bar.
Progress = Callable[[int, str], ContextManager[Callable[..., None]]]


@contextlib.contextmanager
def no_progress(total: int, description: str):
    yield lambda k=1: None


# Penalty weights that drive the weak groups of cnn-digits to zero in ~20 epochs of Adam.
DEFAULT_LAMBDA = {Method.WPC: 5e-2, Method.GROUP_LASSO: 1e-2}


@dataclass(frozen=True)
class CompressConfig:
    method: Method = Method.WPC
    group_size: int = 16
    lam: float | None = None          # None: the method's default (DEFAULT_LAMBDA)
    rho: float = 0.7
    wpc_variant: str = "rank"
    rates: tuple[float, ...] = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
    target_compression: float | None = None  # PE-wise; None = Kneedle
    max_rate: float = 0.95
    teacher_epochs: int = 25
    reg_epochs: int = 20
    finetune_epochs: int = 30
    lr: float = 3e-3
    kd: KDConfig = field(default_factory=KDConfig)
    adabn_batches: int = 20
    flipout_noise: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.lam is not None and self.lam < 0 or not 0 < self.rho:
            raise OptionError(f"need lam >= 0 and rho > 0, got lam={self.lam}, rho={self.rho}")
        if self.target_compression is not None and self.target_compression <= 0:
            raise OptionError(f"--target-compression must be positive, got {self.target_compression}")

    @property
    def penalty_lambda(self) -> float:
        return DEFAULT_LAMBDA.get(self.method, 0.0) if self.lam is None else self.lam

    @property
    def wpc_rho(self) -> float:
        """With a target and the rank variant, τ sits at the target's rate: exactly
        the groups that will be pruned are penalized (the co-design choice)."""
        if self.wpc_variant == "rank" and self.target_compression is not None:
            return max(rate_for_target(self.target_compression, self), 1e-6)
        return self.rho

    def to_json(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["method"] = self.method.value
        d["lam"] = self.penalty_lambda
        d["wpc_rho"] = self.wpc_rho
        d["kd"] = {"temperature": self.kd.temperature, "alpha": self.kd.alpha}
        d["rates"] = list(self.rates)
        return d


@dataclass
class CompressResult:
    model: nn.Module
    teacher: nn.Module
    rate: float
    how: str                                  # 'kneedle', 'fallback' or 'target'
    curve: list[tuple[float, float]]          # (rate, validation accuracy after adaptive BN)
    float_accuracy: float
    compressed_accuracy: float


def _quiet(_msg: str) -> None:
    pass


def _epochs(progress: Progress, fit: Fit, model: nn.Module, data: Split, what: str) -> nn.Module:
    """`fit.run` with one progress step per epoch."""
    if fit.epochs <= 0:
        return model.eval()
    with progress(fit.epochs, what) as advance:
        fit.on_epoch = lambda _e: advance()
        return fit.run(model, data)


# ---------------------------------------------------------------- stages

def train_teacher(model: nn.Module, data: Split, cfg: CompressConfig,
                  progress: Progress = no_progress) -> nn.Module:
    set_quant_enabled(model, False)
    return _epochs(progress, Fit(cfg.teacher_epochs, lr=cfg.lr, seed=cfg.seed), model, data,
                   "float teacher")


def _penalty(cfg: CompressConfig):
    S = cfg.group_size
    if cfg.method is Method.WPC:
        term = lambda w: wpc_penalty(w, S, cfg.wpc_rho, cfg.wpc_variant)  # noqa: E731
    elif cfg.method is Method.GROUP_LASSO:
        term = lambda w: group_lasso(w, S)  # noqa: E731
    else:
        return None
    lam = cfg.penalty_lambda
    return lambda model: lam * sum(term(m.masked_weight()) for _, m in ternary_layers(model))


def regularize(teacher: nn.Module, data: Split, cfg: CompressConfig,
               progress: Progress = no_progress) -> tuple[nn.Module, dict]:
    """Stage 2. Returns the student and its group scores {layer: (M, J)}."""
    student = copy.deepcopy(teacher)
    fit = Fit(cfg.reg_epochs, lr=cfg.lr / 3, seed=cfg.seed + 1, teacher=teacher, kd=cfg.kd,
              penalty=_penalty(cfg))
    tracker = None
    if cfg.method is Method.FLIPOUT:
        tracker = FlipTracker(dict(ternary_layers(student)), cfg.flipout_noise, seed=cfg.seed)
        fit.after_backward, fit.before_step, fit.after_step = (tracker.add_noise, tracker.before_step,
                                                               tracker.after_step)
    _epochs(progress, fit, student, data, f"regularizing ({cfg.method.value})")
    if tracker is not None:
        scores = {n: tracker.group_saliency(n, cfg.group_size) for n, _ in ternary_layers(student)}
    else:
        scores = {n: group_norms(m.masked_weight().detach(), cfg.group_size)
                  for n, m in ternary_layers(student)}
    return student, scores


def prune(model: nn.Module, scores: dict, rate: float, S: int) -> nn.Module:
    """Zero and freeze the ceil(rate·G) lowest-scoring groups of every ternary layer."""
    for name, m in ternary_layers(model):
        s = scores[name]
        k = math.ceil(rate * s.numel() - 1e-9)
        drop = lowest_groups(s, k / s.numel())
        keep = expand_group_mask((~drop).to(m.weight.dtype), tuple(m.weight.shape), S)
        with torch.no_grad():
            m.weight_mask.mul_(keep)
            m.weight.mul_(m.weight_mask)
    return model


def candidate(student: nn.Module, scores: dict, rate: float, fit: Split, cfg: CompressConfig) -> nn.Module:
    cand = prune(copy.deepcopy(student), scores, rate, cfg.group_size)
    set_quant_enabled(cand, True)
    return adaptive_bn(cand, fit, cfg.adabn_batches, seed=cfg.seed)


def sweep(student: nn.Module, scores: dict, fit: Split, val: Split, cfg: CompressConfig,
          log: Log = _quiet, progress: Progress = no_progress) -> list[tuple[float, float]]:
    curve = []
    with progress(len(cfg.rates), "rate sweep") as advance:
        for r in cfg.rates:
            acc = accuracy(candidate(student, scores, r, fit, cfg), val)
            log(f"rate {r:.2f}: validation accuracy {acc:.2f}% after adaptive BN")
            curve.append((r, acc))
            advance()
    return curve


def rate_for_target(target: float, cfg: CompressConfig) -> float:
    """The pruning rate whose PE-wise rate is at least `target` (16 / (1 - r))."""
    best = 16.0 / (1.0 - cfg.max_rate)
    if target > best + 1e-9:
        raise OptionError(
            f"target compression {target:g}x cannot be reached: the best reachable PE-wise rate is "
            f"{best:.1f}x (pruning {cfg.max_rate:.0%} of the groups); ask for at most {best:.1f}x")
    return max(0.0, 1.0 - 16.0 / target)


def choose_rate(curve: list[tuple[float, float]], cfg: CompressConfig) -> tuple[float, str]:
    if cfg.target_compression is not None:
        return rate_for_target(cfg.target_compression, cfg), "target"
    return find_knee([r for r, _ in curve], [a for _, a in curve])


def finetune(student: nn.Module, teacher: nn.Module, scores: dict, rate: float, data: Split,
             cfg: CompressConfig, progress: Progress = no_progress) -> nn.Module:
    """Prune at `rate`, ternarize, retrain with KD: calibrating, then frozen activation scales."""
    model = prune(copy.deepcopy(student), scores, rate, cfg.group_size)
    set_quant_enabled(model, True)
    n1 = (2 * cfg.finetune_epochs) // 3
    with progress(cfg.finetune_epochs, "fine-tuning (KD)") as advance:
        Fit(n1, lr=cfg.lr / 3, seed=cfg.seed + 2, teacher=teacher, kd=cfg.kd,
            on_epoch=lambda _e: advance()).run(model, data)
        freeze_act_scales(model)
        Fit(cfg.finetune_epochs - n1, lr=cfg.lr / 10, seed=cfg.seed + 3, teacher=teacher,
            kd=cfg.kd, on_epoch=lambda _e: advance()).run(model, data)
    return model.eval()


# ---------------------------------------------------------------- driver

def compress(build: Callable[[], nn.Module], train: Split, test: Split, cfg: CompressConfig,
             log: Log = _quiet, teacher: nn.Module | None = None,
             progress: Progress = no_progress) -> CompressResult:
    """Run all stages. `build()` returns the untrained architecture (seeded);
    pass a trained float `teacher` (e.g. an imported model) to skip stage 1:
    `cfg.teacher_epochs` then fine-tunes it (0: used as is)."""
    torch.manual_seed(cfg.seed)
    if cfg.target_compression is not None:
        rate_for_target(cfg.target_compression, cfg)  # fail before training, not after
    fit, val = holdout(train, 0.2, cfg.seed)
    if teacher is None or cfg.teacher_epochs > 0:
        log("training the float teacher")
        teacher = train_teacher(build() if teacher is None else teacher, train, cfg, progress)
    set_quant_enabled(teacher, False)
    float_acc = accuracy(teacher, test)
    log(f"float accuracy {float_acc:.2f}%; regularizing groups ({cfg.method.value})")
    student, scores = regularize(teacher, fit, cfg, progress)
    curve = sweep(student, scores, fit, val, cfg, log, progress)
    rate, how = choose_rate(curve, cfg)
    log(f"pruning rate {rate:.3f} ({how}); fine-tuning with distillation")
    model = finetune(student, teacher, scores, rate, train, cfg, progress)
    return CompressResult(model, teacher, rate, how, curve, float_acc, accuracy(model, test))
