"""Adaptive BatchNorm re-estimation (EagleEye, used by Combine-Net).

After pruning, the BN running statistics describe the unpruned network, so a
candidate's accuracy is misleading until they are re-estimated: reset them
and run a few training batches forward in train mode, without gradients.
Activation-quantizer scales are left as they are (frozen scales stay frozen).
"""
from __future__ import annotations

import torch
from torch import nn

from .train import Split, batches


@torch.no_grad()
def adaptive_bn(model: nn.Module, data: Split, n_batches: int = 20, batch: int = 64, seed: int = 0) -> nn.Module:
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches seen
    model.train()
    gen = torch.Generator().manual_seed(seed)
    seen = 0
    while seen < n_batches:
        for idx in batches(len(data), batch, gen):
            model(data.x[idx])
            seen += 1
            if seen >= n_batches:
                break
    for m, mom in zip(bns, saved):
        m.momentum = mom
    return model.eval()
