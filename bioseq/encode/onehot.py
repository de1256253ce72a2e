"""One-hot encoding ``(N, A, L)`` from ``uint8`` codes, its inverse and reverse complements.

Two paths produce the same values:

- :func:`encode_onehot` (numpy, numba kernel) for ``bioseq encode`` and the
  Python API. It writes straight into one preallocated ``(N, A, L)`` array.
- :func:`onehot_torch` (torch) for training and prediction: a gather from a
  ``(256, A)`` table on the device of the codes, inside the batch.

Column values:

- A canonical residue is a one-hot column. Case never matters because the
  readers give ``a`` and ``A`` the same code (see :mod:`bioseq.alphabet`).
- An ambiguity code follows the ``ambiguity`` policy: ``"fractional"``
  (default) spreads it evenly over its residues (R = 0.5 A + 0.5 G,
  N = 0.25 each); ``"zeros"`` makes it an all-zero column; ``"error"``
  raises :class:`~bioseq.errors.SequenceError` listing record, position and
  character. The number of non-canonical positions is logged either way.
- Padding (:data:`~bioseq.alphabet.PAD_CODE`) is an all-zero column.
- On request, one extra channel ``A`` contains the soft mask: 1 where the
  input residue was lowercase.

:func:`decode_onehot` maps columns back to symbols by the set of channels
that are non-zero, never by argmax, so N (all four channels equal) and the
other ambiguity codes come back exactly. ``decode_onehot(encode_onehot(s))``
equals ``s.upper()``; with the soft-mask channel it equals ``s`` itself.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numba import prange

from bioseq.alphabet import INVALID_CODE, PAD_CODE, Alphabet, get_alphabet
from bioseq.encode._parallel import sized_kernel
from bioseq.encode.codes import PadSide, TruncateSide, plan_layout, record_plan
from bioseq.errors import SequenceError
from bioseq.sequences import SequenceSet

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

AmbiguityPolicy = Literal["fractional", "zeros", "error"]
AMBIGUITY_POLICIES: tuple[str, ...] = ("fractional", "zeros", "error")
#: numpy output dtypes and the unsigned integer type of the same width that the kernel writes.
_BIT_VIEWS: dict[str, type] = {"float32": np.uint32, "float16": np.uint16, "uint8": np.uint8}
_MAX_LISTED = 5


def check_ambiguity(ambiguity: str) -> None:
    """Raise ``ValueError`` unless ``ambiguity`` is a known policy."""
    if ambiguity not in AMBIGUITY_POLICIES:
        raise ValueError(
            f"invalid ambiguity policy {ambiguity!r}; expected one of {list(AMBIGUITY_POLICIES)}"
        )


def onehot_table(
    alphabet: str | Alphabet,
    ambiguity: AmbiguityPolicy = "fractional",
    dtype: str | np.dtype = "float32",
) -> np.ndarray:
    """Build the ``(256, A)`` table from a code to its one-hot column.

    ``ambiguity="error"`` gives the same table as ``"zeros"``; the check for
    ambiguity codes happens before the table is used.

    Examples
    --------
    >>> onehot_table("dna")[4].tolist()   # N
    [0.25, 0.25, 0.25, 0.25]
    """
    check_ambiguity(ambiguity)
    alpha = get_alphabet(alphabet)
    table = alpha.onehot_table("fractional" if ambiguity == "fractional" else "zeros")
    return table.astype(dtype)


def _numpy_dtype(dtype: Any, ambiguity: str) -> np.dtype:
    name = str(dtype).removeprefix("torch.")
    if name == "bfloat16":
        raise ValueError(
            "numpy has no bfloat16 type; use onehot_torch(..., dtype=torch.bfloat16) "
            "or dtype='float32', 'float16' or 'uint8'"
        )
    if name not in _BIT_VIEWS:
        raise ValueError(f"invalid one-hot dtype {dtype!r}; expected one of {list(_BIT_VIEWS)}")
    if name == "uint8" and ambiguity == "fractional":
        raise ValueError(
            "uint8 one-hot cannot hold fractional ambiguity columns; "
            "pass ambiguity='zeros' or 'error', or a float dtype"
        )
    return np.dtype(name)


@sized_kernel
def _onehot_rows(codes, offsets, src_start, dst_start, n_copy, n_nonzero, channels, values,
                 n_canonical, n_single, one_bits, out, n_noncanonical):  # pragma: no cover
    """Write the non-zero entries of each residue's column into a zero-filled ``out``.

    A code ``c < n_single`` writes ``one_bits`` to channel ``c``. Any other
    code ``c`` has ``n_nonzero[c]`` non-zero channels
    ``channels[c, :n]`` with ``values[c, :n]``. Padding and zero channels are
    left untouched. The canonical case is a single store, because it is
    nearly every residue: looking it up in the tables made the serial build
    about 25% slower, and the parallel build slower than the serial one.
    """
    for i in prange(out.shape[0]):
        first = dst_start[i]
        source = offsets[i] + src_start[i]
        found = 0
        row = out[i]
        for j in range(n_copy[i]):
            code = codes[source + j]
            if code < n_single:
                row[code, first + j] = one_bits
            elif code != 255:
                if code >= n_canonical:
                    found += 1
                for t in range(n_nonzero[code]):
                    row[channels[code, t], first + j] = values[code, t]
        n_noncanonical[i] = found


@sized_kernel
def _softmask_rows(softmask, offsets, src_start, dst_start, n_copy, one_bits, out):  # pragma: no cover
    """Write ``one_bits`` at the lowercase residues of each row of a zero-filled ``out``."""
    for i in prange(out.shape[0]):
        first = dst_start[i]
        source = offsets[i] + src_start[i]
        for j in range(n_copy[i]):
            if softmask[source + j]:
                out[i, first + j] = one_bits


def _sparse_table(table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split a ``(256, A)`` table into non-zero counts, channel indices and values per code."""
    nonzero = table != 0
    n_nonzero = nonzero.sum(axis=1).astype(np.int64)
    # Stable sort puts each code's non-zero channels first, in channel order.
    channels = np.argsort(~nonzero, axis=1, kind="stable").astype(np.int64)
    values = np.take_along_axis(table, channels, axis=1)
    return n_nonzero, channels, values


def _raise_on_ambiguity(codes: np.ndarray, offsets: np.ndarray, ids: np.ndarray,
                        alphabet: Alphabet) -> None:
    """Raise SequenceError listing the first ambiguity codes in flat ``codes``."""
    positions = np.flatnonzero((codes >= alphabet.size) & (codes != PAD_CODE))
    if not positions.size:
        return
    rows = np.searchsorted(offsets, positions, side="right") - 1
    listed = ", ".join(
        f"record {ids[row]!r} position {int(pos - offsets[row]) + 1} "
        f"{alphabet.symbols[codes[pos]]!r}"
        for row, pos in zip(rows[:_MAX_LISTED], positions[:_MAX_LISTED], strict=True)
    )
    more = positions.size - _MAX_LISTED
    raise SequenceError(
        f"{positions.size} ambiguity code(s) where ambiguity='error': {listed}"
        + (f" and {more} more" if more > 0 else "")
        + "; pass ambiguity='fractional' (R = half A, half G) or 'zeros' (all-zero column)"
    )


def encode_onehot(
    data: SequenceSet | np.ndarray,
    *,
    alphabet: str | Alphabet | None = None,
    length: int | None = None,
    pad: PadSide | None = None,
    truncate: TruncateSide | None = None,
    ambiguity: AmbiguityPolicy = "fractional",
    dtype: str | np.dtype = "float32",
    softmask: bool = False,
    transforms: Counter | None = None,
) -> np.ndarray:
    """Encode sequences as a one-hot array ``(N, A, L)``.

    Parameters
    ----------
    data : SequenceSet or numpy.ndarray of shape (N, L), dtype uint8
        Sequences, or codes already laid out at one length (padding
        positions hold ``PAD_CODE``).
    alphabet : str or Alphabet or None, default=None
        Alphabet of a code array; a SequenceSet carries its own.
    length, pad, truncate
        Fixed length and its policies, as in
        :func:`bioseq.encode.codes.to_fixed_length`; for a SequenceSet only.
        ``length=None`` pads to the longest record.
    ambiguity : {"fractional", "zeros", "error"}, default="fractional"
        Encoding of ambiguity codes (see the module notes).
    dtype : {"float32", "float16", "uint8"}, default="float32"
        Output type; ``uint8`` needs ``ambiguity`` "zeros" or "error".
    softmask : bool, default=False
        Add channel ``A`` with 1 at lowercase input residues; needs a
        SequenceSet read with its soft mask kept.
    transforms : collections.Counter or None, default=None
        Receives the padding and truncation counts and
        ``noncanonical_positions``.

    Returns
    -------
    numpy.ndarray of shape (N, A, L), or (N, A + 1, L) with ``softmask``

    Raises
    ------
    SequenceError
        For a length violation without a policy, an ambiguity code with
        ``ambiguity="error"``, or ``softmask=True`` without a soft mask.

    Examples
    --------
    >>> s = SequenceSet.from_strings(["ACGtn"])
    >>> encode_onehot(s)[0].tolist()
    [[1.0, 0.0, 0.0, 0.0, 0.25], [0.0, 1.0, 0.0, 0.0, 0.25], [0.0, 0.0, 1.0, 0.0, 0.25], [0.0, 0.0, 0.0, 1.0, 0.25]]
    """
    check_ambiguity(ambiguity)
    out_dtype = _numpy_dtype(dtype, ambiguity)
    if isinstance(data, SequenceSet):
        alpha = data.alphabet
        codes, offsets, ids = data.codes, data.offsets, data.ids
        plan = plan_layout(data.lengths, length, ids=ids, pad=pad, truncate=truncate)
        record_plan(plan, transforms, fixed=length is not None)
        src_start, dst_start, n_copy, width = plan.src_start, plan.dst_start, plan.n_copy, plan.length
    else:
        if alphabet is None:
            raise ValueError("a code array needs alphabet= ('dna', 'rna' or 'protein')")
        if length is not None or pad is not None or truncate is not None or softmask:
            raise ValueError(
                "length, pad, truncate and softmask apply to a SequenceSet; "
                "lay out a code array with to_fixed_length first"
            )
        alpha = get_alphabet(alphabet)
        array = np.ascontiguousarray(data, dtype=np.uint8)
        if array.ndim != 2:
            raise ValueError(f"codes must have shape (N, L), got {array.shape}")
        n_rows, width = array.shape
        codes = array.reshape(-1)
        offsets = np.arange(n_rows + 1, dtype=np.int64) * width
        ids = np.array([f"row {i}" for i in range(n_rows)], dtype=object)
        src_start = np.zeros(n_rows, dtype=np.int64)
        dst_start = np.zeros(n_rows, dtype=np.int64)
        n_copy = np.full(n_rows, width, dtype=np.int64)

    if ambiguity == "error":
        _raise_on_ambiguity(codes, offsets, ids, alpha)
    if softmask and (not isinstance(data, SequenceSet) or data.softmask is None):
        raise SequenceError(
            "softmask=True needs the soft mask of the input, but this sequence set has none; "
            "read the input with the soft mask kept"
        )

    n_rows = len(offsets) - 1
    n_channels = alpha.size + int(softmask)
    # Fresh zero pages cost little, so the kernels write only the non-zero entries.
    out = np.zeros((n_rows, n_channels, width), dtype=out_dtype)
    bits = out.view(_BIT_VIEWS[out_dtype.name])
    table = onehot_table(alpha, ambiguity, out_dtype).view(bits.dtype)
    n_nonzero, channels, values = _sparse_table(table)
    n_noncanonical = np.zeros(n_rows, dtype=np.int64)
    if n_rows:
        one_bits = np.array([1], dtype=out_dtype).view(bits.dtype)[0]
        canonical = np.arange(alpha.size)
        # The single-store path needs code c to be a one in channel c alone; otherwise
        # every code goes through the tables.
        is_identity = (np.all(n_nonzero[canonical] == 1) and np.all(channels[canonical, 0] == canonical)
                       and np.all(values[canonical, 0] == one_bits))
        _onehot_rows.run(out.size, codes, offsets, src_start, dst_start, n_copy, n_nonzero,
                         channels, values, alpha.size, alpha.size if is_identity else 0,
                         one_bits, bits, n_noncanonical)
        if softmask:
            _softmask_rows.run(out.size, data.softmask, offsets, src_start, dst_start, n_copy,
                               one_bits, bits[:, alpha.size])

    total = int(n_noncanonical.sum())
    if total:
        logger.info("%d non-canonical position(s) in %d record(s), encoded as %s",
                    total, int(np.count_nonzero(n_noncanonical)),
                    "fractional columns" if ambiguity == "fractional" else "all-zero columns")
    if transforms is not None:
        transforms["noncanonical_positions"] += total
    return out


@functools.lru_cache(maxsize=32)
def _torch_table(name: str, ambiguity: str, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    import torch

    table = onehot_table(name, ambiguity, "float32")
    return torch.from_numpy(table).to(device=device, dtype=dtype)


def onehot_torch(
    codes: torch.Tensor,
    alphabet: str | Alphabet = "dna",
    ambiguity: AmbiguityPolicy = "fractional",
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Encode a batch of codes as one-hot on the codes' device.

    Parameters
    ----------
    codes : torch.Tensor of shape (N, L), dtype uint8
        Codes laid out at one length; ``PAD_CODE`` gives zero columns.
    alphabet : str or Alphabet, default="dna"
    ambiguity : {"fractional", "zeros", "error"}, default="fractional"
        As in :func:`encode_onehot`; ``"error"`` synchronises with the
        device to check the batch.
    dtype : torch.dtype or None, default=None
        ``torch.float32`` when None; float16, bfloat16 and uint8 work too.

    Returns
    -------
    torch.Tensor of shape (N, A, L), on ``codes.device``

    Examples
    --------
    >>> import torch
    >>> onehot_torch(torch.tensor([[0, 3, 255]], dtype=torch.uint8))[0].tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    import torch

    check_ambiguity(ambiguity)
    alpha = get_alphabet(alphabet)
    dtype = torch.float32 if dtype is None else dtype
    if codes.ndim != 2:
        raise ValueError(f"codes must have shape (N, L), got {tuple(codes.shape)}")
    if dtype == torch.uint8 and ambiguity == "fractional":
        raise ValueError("uint8 one-hot cannot hold fractional ambiguity columns; "
                         "pass ambiguity='zeros' or 'error', or a float dtype")
    if ambiguity == "error":
        flat = codes.detach().reshape(-1).cpu().numpy()
        width = codes.shape[1]
        offsets = np.arange(codes.shape[0] + 1, dtype=np.int64) * width
        ids = np.array([f"row {i}" for i in range(codes.shape[0])], dtype=object)
        _raise_on_ambiguity(flat, offsets, ids, alpha)
    table = _torch_table(alpha.name, ambiguity, dtype, codes.device)
    # (N, L) -> (N, L, A) by table lookup, then (N, A, L).
    columns = torch.nn.functional.embedding(codes.long(), table)
    return columns.transpose(1, 2).contiguous()


def _symbol_by_support(alpha: Alphabet) -> np.ndarray:
    """Map each channel bit set to the code whose residues are exactly that set."""
    lookup = np.full(1 << alpha.size, INVALID_CODE, dtype=np.uint8)
    lookup[0] = alpha.unknown_code
    for code in range(alpha.size):
        lookup[1 << code] = code
    for offset, members in enumerate(alpha.ambiguity.values()):
        bits = sum(1 << alpha.letters.index(letter) for letter in members)
        lookup[bits] = alpha.size + offset
    return lookup


def decode_onehot(
    x: np.ndarray | torch.Tensor,
    alphabet: str | Alphabet = "dna",
    *,
    mask: np.ndarray | torch.Tensor | None = None,
    softmask: bool = False,
) -> list[str] | str:
    """Decode one-hot columns back to sequence strings.

    A column decodes to the symbol whose residues are exactly its non-zero
    channels: a one-hot column to its residue, a fractional column to its
    ambiguity code (0.5 A + 0.5 G to ``R``, four equal channels to ``N``),
    and an all-zero column to the unknown symbol (``N`` or ``X``), which is
    how ``ambiguity="zeros"`` encodes every ambiguity code.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor of shape (N, A, L) or (A, L)
        Output of :func:`encode_onehot` or :func:`onehot_torch` (with
        ``A + 1`` channels when ``softmask`` is True).
    alphabet : str or Alphabet, default="dna"
    mask : array of shape (N, L) or (L,), bool, or None, default=None
        Positions to keep; padding positions (False) are dropped. Without a
        mask every column is decoded, padding as the unknown symbol.
    softmask : bool, default=False
        Read channel ``A`` as the soft mask and lowercase those residues.

    Returns
    -------
    list of str, or str for a two-dimensional input

    Raises
    ------
    SequenceError
        If a column's non-zero channels differ in value or match no symbol;
        such a column is not an encoder output (decode model scores with an
        argmax instead).

    Examples
    --------
    >>> s = SequenceSet.from_strings(["ACGTNRy"])
    >>> decode_onehot(encode_onehot(s))
    ['ACGTNRY']
    """
    alpha = get_alphabet(alphabet)
    array = _as_numpy(x).astype(np.float32)
    single = array.ndim == 2
    if single:
        array = array[None]
    if array.ndim != 3 or array.shape[1] != alpha.size + int(softmask):
        raise ValueError(
            f"expected one-hot of shape (N, {alpha.size + int(softmask)}, L) for "
            f"{alpha.name}{' with a soft-mask channel' if softmask else ''}, got {x.shape}"
        )
    channels = array[:, : alpha.size]
    support = channels > 0
    weights = 1 << np.arange(alpha.size, dtype=np.int64)
    # Bit set of non-zero channels per column: (N, A, L) -> (N, L).
    bits = np.einsum("nal,a->nl", support.astype(np.int64), weights)
    largest = channels.max(axis=1)
    smallest = np.where(support, channels, np.inf).min(axis=1)
    uneven = support.any(axis=1) & (largest - smallest > 1e-3 * largest)
    codes = _symbol_by_support(alpha)[bits]
    bad = np.argwhere(uneven | (codes == INVALID_CODE))
    if bad.size:
        row, position = (int(v) for v in bad[0])
        raise SequenceError(
            f"column {position + 1} of row {row} is not a one-hot or ambiguity column: "
            f"{channels[row, :, position].tolist()}; {len(bad)} such column(s) in total"
        )

    table = alpha.decode_table()
    lower_table = np.frombuffer(table.tobytes().lower(), dtype=np.uint8)
    masks = None if mask is None else _as_numpy(mask).astype(bool).reshape(codes.shape)
    decoded = []
    for row in range(codes.shape[0]):
        text = table[codes[row]]
        if softmask:
            lowercase = array[row, alpha.size] > 0.5
            text = np.where(lowercase, lower_table[codes[row]], text)
        if masks is not None:
            text = text[masks[row]]
        decoded.append(np.ascontiguousarray(text, dtype=np.uint8).tobytes().decode("ascii"))
    return decoded[0] if single else decoded


def _as_numpy(x: Any) -> np.ndarray:
    if _is_tensor(x):
        tensor = x.detach().cpu()
        if tensor.dtype.is_floating_point:
            tensor = tensor.float()
        return tensor.numpy()
    return np.asarray(x)


def _is_tensor(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _reverse_positions(shape: tuple[int, ...], lengths: Any, like: Any) -> Any:
    """Build the index that reverses the first ``lengths[i]`` positions of each row."""
    width = shape[-1]
    if _is_tensor(like):
        import torch

        positions = torch.arange(width, device=like.device).expand(shape[0], width)
        ends = torch.as_tensor(lengths, device=like.device).reshape(-1, 1).long()
        return torch.where(positions < ends, ends - 1 - positions, positions)
    positions = np.broadcast_to(np.arange(width), (shape[0], width))
    ends = np.asarray(lengths, dtype=np.int64).reshape(-1, 1)
    return np.where(positions < ends, ends - 1 - positions, positions)


def reverse_complement_codes(
    codes: np.ndarray | torch.Tensor,
    alphabet: str | Alphabet = "dna",
    lengths: np.ndarray | torch.Tensor | None = None,
) -> np.ndarray | torch.Tensor:
    """Reverse-complement codes of shape ``(L,)`` or ``(N, L)``.

    Parameters
    ----------
    codes : numpy.ndarray or torch.Tensor, dtype uint8
    alphabet : str or Alphabet, default="dna"
        DNA or RNA; ambiguity codes map to their complements (R to Y).
    lengths : array of shape (N,) or None, default=None
        Residues per row for right-padded ``(N, L)`` codes. Only those are
        reversed, so padding stays on the right. Without lengths, whole rows
        are reversed.

    Returns
    -------
    Same type and shape as ``codes``.

    Raises
    ------
    SequenceError
        For protein, which has no complement.

    Examples
    --------
    >>> from bioseq.alphabet import DNA
    >>> DNA.decode(reverse_complement_codes(DNA.encode("AACGR")))
    'YCGTT'
    """
    alpha = get_alphabet(alphabet)
    complement = alpha.complement_codes()
    if _is_tensor(codes):
        import torch

        table = torch.from_numpy(complement).to(codes.device)
        if lengths is None:
            return table[codes.flip(-1).long()]
        index = _reverse_positions(tuple(codes.shape), lengths, codes)
        return table[torch.gather(codes, 1, index).long()]
    array = np.asarray(codes, dtype=np.uint8)
    if lengths is None:
        return complement[array[..., ::-1]]
    index = _reverse_positions(array.shape, lengths, array)
    return complement[np.take_along_axis(array, index, axis=1)]


def reverse_complement_onehot(
    x: np.ndarray | torch.Tensor,
    alphabet: str | Alphabet = "dna",
    lengths: np.ndarray | torch.Tensor | None = None,
    *,
    softmask: bool = False,
) -> np.ndarray | torch.Tensor:
    """Reverse-complement one-hot input ``(N, A, L)``.

    Channels are swapped with their complements and positions reversed, so
    the result equals the one-hot of the reverse-complemented codes, for
    fractional ambiguity columns too.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor of shape (N, A, L)
    alphabet : str or Alphabet, default="dna"
    lengths : array of shape (N,) or None, default=None
        Residues per row for right-padded input; padding stays on the right.
    softmask : bool, default=False
        Whether ``x`` has the soft-mask channel ``A``; it is reversed but
        not complemented.

    Raises
    ------
    SequenceError
        For protein, which has no complement.
    """
    alpha = get_alphabet(alphabet)
    complement = alpha.complement_codes()
    channels = [int(complement[a]) for a in range(alpha.size)] + ([alpha.size] if softmask else [])
    if x.shape[-2] != len(channels):
        raise ValueError(f"expected {len(channels)} channels, got shape {tuple(x.shape)}")
    if _is_tensor(x):
        import torch

        swapped = x[:, channels]
        if lengths is None:
            return swapped.flip(-1)
        index = _reverse_positions((x.shape[0], x.shape[-1]), lengths, x)
        return torch.gather(swapped, 2, index[:, None, :].expand_as(swapped))
    swapped = np.asarray(x)[:, channels]
    if lengths is None:
        return np.ascontiguousarray(swapped[..., ::-1])
    index = _reverse_positions((x.shape[0], x.shape[-1]), lengths, x)
    return np.take_along_axis(swapped, index[:, None, :], axis=2)
