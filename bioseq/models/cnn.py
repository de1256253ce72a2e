"""The 1D convolutional family: stacked conv blocks, global pooling, dense head.

Input is one-hot ``(N, A, L)`` with zero columns at padding. Global pooling
makes the output independent of L, so one model scores sequences of any
length. A layer with ``kernel_size: "full"`` spans the whole sequence and
makes the model position-aware, at the price of a fixed ``max_len``. With a mask, padded positions are set to zero after every block and
left out of the global pooling, so a padded batch scores each sequence as if
it were alone.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import torch
from torch import nn

from bioseq.errors import ConfigError
from bioseq.models.blocks import ConvBlock, check_lengths, dense_head, global_pool

#: Keys of one entry of ``conv_layers`` and their defaults (``filters`` and
#: ``kernel_size`` are required).
CONV_LAYER_DEFAULTS: dict[str, Any] = {
    "dilation": 1,
    "batch_norm": True,
    "dropout": 0.0,
    "pool": 1,
    "residual": False,
}
GLOBAL_POOLS = ("max", "avg", "maxavg")
#: ``kernel_size`` value that sizes a layer's kernel from ``max_len``.
FULL_KERNEL = "full"


def validate_conv_layers(conv_layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check the layer specs and return them with every default filled in.

    Raises
    ------
    ConfigError
        If the list is empty, a key is unknown or missing, or a size is not positive.
    """
    if not conv_layers:
        raise ConfigError("conv_layers must list at least one layer")
    allowed = {"filters", "kernel_size", *CONV_LAYER_DEFAULTS}
    resolved = []
    for index, layer in enumerate(conv_layers):
        unknown = sorted(set(layer) - allowed)
        if unknown:
            raise ConfigError(
                f"conv_layers[{index}] has unknown keys {unknown}; allowed: {sorted(allowed)}"
            )
        missing = [key for key in ("filters", "kernel_size") if key not in layer]
        if missing:
            raise ConfigError(f"conv_layers[{index}] is missing required keys {missing}")
        full = {**CONV_LAYER_DEFAULTS, **layer}
        sizes = ["filters", "dilation", "pool"]
        if full["kernel_size"] != FULL_KERNEL:
            sizes.append("kernel_size")
        for key in sizes:
            if not isinstance(full[key], int) or isinstance(full[key], bool) or full[key] < 1:
                extra = " or 'full'" if key == "kernel_size" else ""
                raise ConfigError(
                    f"conv_layers[{index}].{key} must be a positive integer{extra}, "
                    f"got {full[key]!r}"
                )
        if not 0.0 <= float(full["dropout"]) < 1.0:
            raise ConfigError(
                f"conv_layers[{index}].dropout must be in [0, 1), got {full['dropout']!r}"
            )
        resolved.append(full)
    return resolved


def resolve_full_kernels(layers: list[dict[str, Any]], max_len: int | None) -> list[dict[str, Any]]:
    """Replace ``kernel_size: "full"`` by ``2 * L + 1``, where L is the length entering the layer.

    With "same" padding, a kernel of ``2 * L + 1`` positions lets every output
    position see the whole sequence at a different alignment, so the global
    pooling that follows compares aligned templates instead of detecting a
    motif anywhere. Pooling layers shorten L to ``ceil(L / pool)``.

    Raises
    ------
    ConfigError
        If a layer sets ``kernel_size: "full"`` and ``max_len`` is None.
    """
    length = max_len
    resolved = []
    for index, layer in enumerate(layers):
        if layer["kernel_size"] == FULL_KERNEL:
            if length is None:
                raise ConfigError(
                    f"conv_layers[{index}].kernel_size 'full' needs the input length; set "
                    "max_len (bioseq train sets it from --max-len or the longest training "
                    "sequence)"
                )
            layer = {**layer, "kernel_size": 2 * length + 1}
        resolved.append(layer)
        if length is not None:
            length = math.ceil(length / layer["pool"])
    return resolved


class CNNClassifier(nn.Module):
    """A stack of 1D convolution blocks, global pooling and a dense head.

    Parameters
    ----------
    n_outputs : int
        Number of logits (see :meth:`bioseq.tasks.Task.n_outputs`).
    in_channels : int, default=4
        Alphabet size ``A`` (4 for DNA/RNA, 20 for protein).
    conv_layers : list of dict
        One dict a block with ``filters``, ``kernel_size`` and optionally
        ``dilation``, ``batch_norm``, ``dropout``, ``pool``, ``residual``
        (see :class:`~bioseq.models.blocks.ConvBlock`). ``kernel_size:
        "full"`` spans the whole sequence (see :func:`resolve_full_kernels`);
        it needs ``max_len``, and the stored ``config`` contains the resolved
        width.
    global_pool : {"max", "avg", "maxavg"}, default="max"
        Pooling over the length after the last block.
    hidden : list of int, default=[]
        Widths of the dense layers before the output layer.
    dropout : float, default=0.0
        Dropout in the dense head: after each hidden layer, or on the pooled
        features before the output layer when ``hidden`` is empty.
    max_len : int or None, default=None
        Maximum accepted length in residues (real positions per the mask);
        longer input raises :class:`~bioseq.errors.SequenceError`. None
        accepts any length.

    Attributes
    ----------
    input_kind : str
        Always ``"onehot"``.
    config : dict
        Constructor arguments, JSON-able, used to rebuild the model.

    Examples
    --------
    >>> import torch
    >>> model = CNNClassifier(n_outputs=2, conv_layers=[{"filters": 8, "kernel_size": 5}])
    >>> model(torch.zeros(3, 4, 50)).shape
    torch.Size([3, 2])
    """

    input_kind = "onehot"
    model_name = "cnn"

    def __init__(
        self,
        n_outputs: int,
        in_channels: int = 4,
        conv_layers: list[dict[str, Any]] | None = None,
        global_pool: Literal["max", "avg", "maxavg"] = "max",
        hidden: list[int] | None = None,
        dropout: float = 0.0,
        max_len: int | None = None,
    ) -> None:
        super().__init__()
        if conv_layers is None:
            conv_layers = [{"filters": 64, "kernel_size": 15}]
        hidden = list(hidden or [])

        if n_outputs < 1 or in_channels < 1:
            raise ConfigError(
                f"n_outputs and in_channels must be positive, got {n_outputs} and {in_channels}"
            )
        if global_pool not in GLOBAL_POOLS:
            raise ConfigError(
                f"unknown global_pool {global_pool!r}; choose one of {', '.join(GLOBAL_POOLS)}"
            )
        if not 0.0 <= float(dropout) < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout!r}")
        layers = resolve_full_kernels(validate_conv_layers(conv_layers), max_len)

        self.config = {
            "n_outputs": n_outputs,
            "in_channels": in_channels,
            "conv_layers": layers,
            "global_pool": global_pool,
            "hidden": hidden,
            "dropout": dropout,
            "max_len": max_len,
        }
        self.max_len = max_len
        self.global_pool = global_pool

        blocks = []
        width = in_channels
        for layer in layers:
            blocks.append(ConvBlock(width, **layer))
            width = layer["filters"]
        self.blocks = nn.ModuleList(blocks)
        pooled_width = 2 * width if global_pool == "maxavg" else width
        self.head = dense_head(pooled_width, hidden, n_outputs, dropout)
        # Without hidden layers the dense head has no dropout of its own, so it
        # applies to the pooled features. nn.Dropout has no weights, so the
        # state dict keys are the same with and without it.
        self.feature_dropout = nn.Dropout(0.0 if hidden else dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Score one-hot sequences.

        Parameters
        ----------
        x : torch.Tensor of shape (N, A, L)
            One-hot input, zero columns at padding.
        mask : torch.Tensor of shape (N, L), dtype bool, or None
            True at real positions; None treats every position as real.

        Returns
        -------
        torch.Tensor of shape (N, n_outputs)
            Logits.

        Raises
        ------
        SequenceError
            If a sequence is empty per the mask, or ``max_len`` is set and a
            sequence is longer.
        """
        if mask is not None:
            check_lengths(mask, self.max_len, can_chunk=False)
        elif self.max_len is not None and x.shape[2] > self.max_len:
            full = torch.ones(x.shape[0], x.shape[2], dtype=torch.bool, device=x.device)
            check_lengths(full, self.max_len, can_chunk=False)
        if mask is not None:
            x = x * mask[:, None, :].to(x.dtype)
        for block in self.blocks:
            x, mask = block(x, mask)
        return self.head(self.feature_dropout(global_pool(x, mask, self.global_pool)))
