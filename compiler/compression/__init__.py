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

The API function that runs the pipeline is `tritium.compress` (`tritium.api.compress`);
this package is what it is made of.
"""
