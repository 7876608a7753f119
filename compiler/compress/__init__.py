"""Co-design compression: PE-wise structured pruning and ternarization.

The network is compressed in the shape the hardware can exploit (DESIGN §3):
a pruning group is one output channel x `S` consecutive input channels x all
taps, `S` being the PE lane count of the board.

- `quantizers`  the integer contracts as differentiable functions (STE).
- `modules`     quantized PyTorch modules that train *and* import exactly.
- `groups`      the PE-group view of weights, group lasso and WPC penalties.
- `kd`, `adabn`, `knee`, `flipout`   training-side tools (Combine-Net, FlipOut).
- `accounting`, `huffman`   compression rates (PE-wise, storage-exact, Huffman).
- `pipeline`    the compress pipeline of issue 3.

Everything except `accounting`, `huffman` and `groups`' numpy helpers needs torch.

Called, the package is `tritium.api.compress`: `tritium.compress(model, dataset=..., board=...)`.
"""

import sys as _sys
import types as _types


class _CallablePackage(_types.ModuleType):
    """`tritium.compress` names this package *and* the API function: importing any
    `tritium.compress.*` module binds the package to that attribute of `tritium`,
    so the package itself must be callable, as `tritium.api.compress`."""

    def __call__(self, model, **kwargs):
        """Compress `model`; see `tritium.api.compress` for the arguments."""
        from ..api import compress
        return compress(model, **kwargs)


_sys.modules[__name__].__class__ = _CallablePackage
