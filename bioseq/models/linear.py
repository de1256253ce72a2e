"""A linear model over k-mer frequencies, the ``kmer-logreg`` baseline.

The layer computes ``((x - mean) / scale) @ weight.T + bias``. ``mean`` and
``scale`` are buffers (saved in the model file, never trained), so a fitted
``sklearn.preprocessing.StandardScaler`` plus
``sklearn.linear_model.LogisticRegression`` copy in directly:
``mean <- scaler.mean_``, ``scale <- scaler.scale_``,
``weight <- clf.coef_``, ``bias <- clf.intercept_``. For two classes
scikit-learn fits one row of coefficients, which matches the single logit of
the binary task.
"""

from __future__ import annotations

import torch
from torch import nn

from bioseq.errors import ConfigError


class KmerLinear(nn.Module):
    """Linear layer over k-mer frequencies with optional standardisation.

    Parameters
    ----------
    n_outputs : int
        Number of logits.
    k : int, default=4
        k-mer size the features were counted with (stored for the model file).
    in_channels : int, default=4
        Alphabet size ``A``; sets the default ``n_features``.
    n_features : int or None, default=None
        Feature count F; None means ``in_channels ** k`` (every k-mer; pass
        the real count when canonical k-mers are merged).
    standardize : bool, default=True
        Whether to subtract ``mean`` and divide by ``scale`` (initially 0
        and 1, so the layer starts as a plain linear layer).

    Examples
    --------
    >>> import torch
    >>> model = KmerLinear(n_outputs=1, k=2)
    >>> model(torch.full((3, 16), 1 / 16)).shape
    torch.Size([3, 1])
    """

    input_kind = "kmer_frequencies"
    model_name = "kmer-logreg"

    def __init__(
        self,
        n_outputs: int,
        k: int = 4,
        in_channels: int = 4,
        n_features: int | None = None,
        standardize: bool = True,
    ) -> None:
        super().__init__()
        if k < 1 or n_outputs < 1 or in_channels < 1:
            raise ConfigError(
                f"k, n_outputs and in_channels must be positive, got {k}, {n_outputs} "
                f"and {in_channels}"
            )
        n_features = n_features or in_channels**k
        self.config = {
            "n_outputs": n_outputs, "k": k, "in_channels": in_channels,
            "n_features": n_features, "standardize": standardize,
        }
        self.k = k
        self.n_features = n_features
        self.standardize = standardize
        self.linear = nn.Linear(n_features, n_outputs)
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Score k-mer frequency vectors ``(N, F)``; ``mask`` is accepted and ignored.

        Returns
        -------
        torch.Tensor of shape (N, n_outputs)
            Logits.
        """
        if x.shape[-1] != self.n_features:
            raise ConfigError(
                f"input has {x.shape[-1]} k-mer features, but the model was built for "
                f"{self.n_features} (k={self.k}); encode with the same k and canonical setting"
            )
        if self.standardize:
            x = (x - self.mean) / self.scale
        return self.linear(x)
