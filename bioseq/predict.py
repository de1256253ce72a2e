"""Batched prediction with a saved model, streaming inputs of any size.

:class:`Predictor` loads a model file, checks that sequences fit its input
(alphabet and length) and turns coded sequences into probabilities or
values. :func:`predict_sequences` streams a FASTA or CSV/TSV file chunk by
chunk and writes one CSV row per record. Memory stays bounded by the chunk
size, and the output appears only when complete: rows go to a temporary
file in the output folder that is renamed at the end.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from bioseq.models.modelfile import save_model
>>> from bioseq.models.registry import get_model
>>> folder = Path(tempfile.mkdtemp())
>>> model = get_model("kmer-logreg", n_outputs=1, k=2)
>>> _ = save_model(folder / "m.safetensors", model, {
...     "task": "binary", "class_names": ["neg", "pos"], "positive_class": "pos",
...     "alphabet": "dna", "input": {"kind": "kmer_frequencies", "k": 2}})
>>> predictor = Predictor.load(folder / "m.safetensors")
>>> predictor.score(SequenceSet.from_strings(["ACGTAC", "GGGA"])).shape
(2, 2)
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from bioseq._files import atomic_open, make_output_folder
from bioseq.alphabet import PAD_CODE, guess_alphabet
from bioseq.encode.batch import InputSpec, encode_batch, validate_inputs
from bioseq.encode.codes import to_fixed_length
from bioseq.errors import ConfigError, DeviceError, ModelFileError, SequenceError
from bioseq.sequences import SequenceSet

logger = logging.getLogger(__name__)

#: Records read from the input at a time; bounds the memory of a prediction run.
DEFAULT_CHUNK_SIZE = 50_000
DEFAULT_BATCH_SIZE = 512
MODEL_FILE_NAME = "model.safetensors"
#: Records, and residues of each, that the input alphabet is guessed from.
ALPHABET_SAMPLE_RECORDS = 100
ALPHABET_SAMPLE_RESIDUES = 1000


def resolve_model_path(model_or_run: str | os.PathLike[str]) -> Path:
    """Return the model file of a run folder, or the path itself for a model file.

    Raises
    ------
    FileNotFoundError
        If the path does not exist or a run folder has no ``model.safetensors``.
    """
    path = Path(model_or_run)
    if path.is_dir():
        candidate = path / MODEL_FILE_NAME
        if not candidate.is_file():
            raise _NotFound(f"run folder {path} has no {MODEL_FILE_NAME}; pass the model file "
                            "itself or a finished run folder")
        return candidate
    if not path.is_file():
        raise _NotFound(f"model file {path} not found; pass a model file or a run folder")
    return path


class _NotFound(ConfigError, FileNotFoundError):
    """Model file or run folder that does not exist."""


def _run_device(model_path: Path) -> str | None:
    """Return the accelerator in the run manifest beside a model file, or None."""
    manifest = model_path.parent / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        device = json.loads(manifest.read_text(encoding="utf-8")).get("device") or {}
    except (OSError, ValueError):
        return None
    accelerator = device.get("accelerator")
    # Lightning names CUDA devices "gpu"; the log speaks of CUDA like torch does.
    return {"gpu": "cuda"}.get(accelerator, accelerator) or None


def resolve_device(device: str) -> torch.device:
    """Turn ``"auto"``, ``"cpu"`` or ``"cuda[:i]"`` into a torch device.

    Raises
    ------
    DeviceError
        If CUDA is requested and no CUDA device is visible.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>")
        raise DeviceError(f"no CUDA device visible (CUDA_VISIBLE_DEVICES={visible!r}); "
                          "use --device cpu or auto")
    try:
        return torch.device(device)
    except RuntimeError as error:
        raise ConfigError(f"invalid device {device!r}; expected auto, cpu or cuda[:N]") from error


def reverse_complement_set(seqs: SequenceSet) -> SequenceSet:
    """Return the reverse complement of every record, in the same order.

    Reversing the whole flat code array reverses each record and also their
    order; the offsets are mirrored and the order is restored with a subset.
    """
    complement = seqs.alphabet.complement_codes()
    codes = complement[seqs.codes[::-1]]
    offsets = seqs.offsets[-1] - seqs.offsets[::-1]
    mirrored = SequenceSet(ids=seqs.ids[::-1], codes=codes, offsets=offsets,
                           alphabet=seqs.alphabet)
    return mirrored.subset(np.arange(len(seqs))[::-1])


@dataclass
class Predictor:
    """A loaded model with its input spec, task and classes.

    Attributes
    ----------
    model : torch.nn.Module
        The model in eval mode on ``device``.
    metadata : dict
        The model file's metadata.
    spec : InputSpec
        How sequences become model input; ``truncate`` and ``pad`` may be
        overridden at load time.
    device : torch.device
    path : pathlib.Path
        Model file.
    """

    model: nn.Module
    metadata: dict[str, Any]
    spec: InputSpec
    device: torch.device
    path: Path

    @classmethod
    def load(cls, model_or_run: str | os.PathLike[str], *, device: str = "cpu",
             truncate: str | None = None, pad: str | None = None) -> Predictor:
        """Load a model file (or a run folder's model) for prediction.

        Parameters
        ----------
        model_or_run : path-like
            Model file, or a run folder holding ``model.safetensors``.
        device : str, default="cpu"
            ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
        truncate, pad : str or None, default=None
            Override the model's length policy for records longer (shorter)
            than a fixed-length model's input; see
            :class:`~bioseq.encode.batch.InputSpec`.
        """
        from bioseq.models.modelfile import load_model

        path = resolve_model_path(model_or_run)
        target = resolve_device(device)
        model, metadata = load_model(path, device=target)
        for key in ("task", "class_names", "input"):
            if key not in metadata:
                raise ModelFileError(
                    f"model file {path} has no {key!r} in its metadata; it was not written by "
                    "bioseq train, so it cannot be used for prediction")
        spec_dict = dict(metadata["input"])
        if truncate is not None:
            spec_dict["truncate"] = truncate
        if pad is not None:
            spec_dict["pad"] = pad
        spec = InputSpec.from_dict(spec_dict)
        trained_on = metadata.get("training", {}).get("device") or _run_device(path)
        # Model files hold plain safetensors, read onto the CPU first, so a
        # GPU-trained file needs no device mapping; the log line records it.
        # Without a recorded training device the log line leaves it out.
        trained_text = f", trained on {trained_on}" if trained_on else ""
        logger.info("loaded %s (%s, task %s%s) onto %s", path, metadata["model"]["name"],
                    metadata["task"], trained_text, target)
        if trained_on and "cuda" in str(trained_on) and target.type == "cpu":
            logger.info("model was trained on %s; its weights were mapped to the CPU", trained_on)
        return cls(model=model, metadata=metadata, spec=spec, device=target, path=path)

    @property
    def task(self) -> str:
        """Task of the model (binary, multiclass, multilabel, regression)."""
        return str(self.metadata["task"])

    @property
    def class_names(self) -> list[str]:
        """Classes, labels or regression targets in output order."""
        return [str(c) for c in self.metadata["class_names"]]

    @property
    def positive_class(self) -> str | None:
        """Positive class of a binary model (the class its single logit scores)."""
        if self.task != "binary":
            return None
        return str(self.metadata.get("positive_class") or self.class_names[1])

    def check(self, seqs: SequenceSet, transforms: Counter | None = None) -> None:
        """Check alphabet and lengths of ``seqs`` against the model input.

        Raises
        ------
        SequenceError
            Naming the records and the option that fixes the problem.
        """
        if seqs.alphabet.name != self.spec.alphabet:
            raise SequenceError(
                f"the model {self.path} reads {self.spec.alphabet} but the input was read as "
                f"{seqs.alphabet.name} ({', '.join(seqs.sources) or 'in memory'}); read the "
                f"input with --alphabet {self.spec.alphabet} or use a {seqs.alphabet.name} model"
            )
        try:
            validate_inputs(self.spec, seqs, transforms=transforms)
        except SequenceError as error:
            message = str(error)
            if "longer than the input length" in message:
                message += ("; on the command line pass --truncate right, left or center to cut "
                            "long records")
            elif "shorter than the fixed input length" in message:
                message += ("; on the command line pass --pad right, left or both to pad "
                            "short records")
            raise SequenceError(message) from error

    def check_input_alphabet(self, seqs: SequenceSet) -> None:
        """Check that the first records of ``seqs`` look like the model's alphabet.

        A protein model reads DNA and RNA letters as valid amino acids, so a
        nucleic-acid file would be scored without any error. This guesses the
        alphabet of the input from up to 100 records with
        :func:`~bioseq.alphabet.guess_alphabet`. A nucleic-acid model needs no
        such check because the reader rejects amino-acid letters.

        Raises
        ------
        SequenceError
            If the model reads protein and the sample looks like DNA or RNA.
        """
        if self.spec.alphabet != "protein" or len(seqs) == 0:
            return
        n_sample = min(len(seqs), ALPHABET_SAMPLE_RECORDS)
        sample = "".join(seqs.sequence(i)[:ALPHABET_SAMPLE_RESIDUES] for i in range(n_sample))
        if seqs.transforms.get("rare_to_x"):
            # The protein reader stores U (selenocysteine) and other rare letters as X,
            # so RNA arrives here with X in place of U.
            sample = sample.replace("X", "U")
        looks_like = guess_alphabet(sample).name
        if looks_like == "protein":
            return
        source = ", ".join(seqs.sources) or "the input"
        raise SequenceError(
            f"{source}: the model {self.path} reads protein, but the first {n_sample} records "
            f"look like {looks_like} (90% or more of their letters are A, C, G, T, U or N); "
            f"score them with a {looks_like} model, or pass --no-alphabet-check if they are "
            "proteins")

    def _encode(self, codes: torch.Tensor,
                lengths: np.ndarray) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Encode a right-padded batch ``(B, W)`` as model input and its mask."""
        spec = self.spec
        if (spec.kind == "onehot" and spec.length is not None and codes.shape[1] == spec.length
                and bool((lengths == spec.length).all())):
            # Every record fills the fixed input exactly, so there is nothing to pad,
            # cut or mask: one-hot (B, A, L) directly, and mask None (all residues).
            from bioseq.encode.onehot import onehot_torch

            return onehot_torch(codes, spec.alphabet, spec.ambiguity), None
        batch = encode_batch(spec, codes, torch.from_numpy(lengths).to(codes.device))
        mask = batch["mask"]
        if mask is not None and bool(mask.all()):
            mask = None
        return batch["x"], mask

    def _forward(self, seqs: SequenceSet, batch_size: int) -> np.ndarray:
        from bioseq.tasks import get_task

        task = get_task(self.task)
        lengths = seqs.lengths
        # When every record has the same length, the flat codes already form an
        # (N, L) matrix: batches are slices of it, with no per-batch copy.
        uniform: np.ndarray | None = None
        if len(seqs) and bool((lengths == lengths[0]).all()) and lengths[0] > 0:
            uniform = seqs.codes[seqs.offsets[0]:seqs.offsets[-1]].reshape(len(seqs), -1)
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(seqs), batch_size):
                stop = min(start + batch_size, len(seqs))
                if uniform is not None:
                    codes = uniform[start:stop]
                else:
                    part = seqs.subset(np.arange(start, stop))
                    codes, _ = to_fixed_length(part, None, pad_code=PAD_CODE)
                codes_tensor = torch.from_numpy(codes).to(self.device, non_blocking=True)
                x, mask = self._encode(codes_tensor, lengths[start:stop])
                logits = self.model(x, mask=mask)
                outputs.append(task.activation(logits.float()).cpu().numpy())
        if not outputs:
            one_column = self.task == "binary" or (self.task == "regression"
                                                   and len(self.class_names) == 1)
            return np.zeros((0,) if one_column else (0, len(self.class_names)), dtype=np.float32)
        return np.concatenate(outputs)

    def score(self, seqs: SequenceSet, *, batch_size: int = DEFAULT_BATCH_SIZE,
              reverse_complement: bool | None = None, check: bool = True) -> np.ndarray:
        """Score sequences: class probabilities, label probabilities or values.

        Parameters
        ----------
        seqs : SequenceSet
        batch_size : int, default=512
        reverse_complement : bool or None, default=None
            Average the outputs of each record and its reverse complement
            (DNA and RNA models only); None follows :attr:`rc_average`.
        check : bool, default=True
            Run :meth:`check` first.

        Returns
        -------
        numpy.ndarray
            ``(N, C)`` probabilities for binary (``[1 - p, p]`` with ``p`` the
            positive class) and multiclass models; ``(N, K)`` for multilabel;
            ``(N,)`` or ``(N, K)`` values for regression.
        """
        if batch_size < 1:
            raise ConfigError(f"invalid batch size {batch_size}; expected 1 or more")
        if check:
            self.check(seqs)
        self.model.eval()
        outputs = self._forward(seqs, batch_size)
        if reverse_complement is None:
            reverse_complement = self.rc_average
        if reverse_complement:
            if not seqs.alphabet.is_nucleic:
                raise ConfigError("reverse-complement averaging needs a DNA or RNA model, "
                                  f"but this model reads {seqs.alphabet.name}")
            outputs = (outputs + self._forward(reverse_complement_set(seqs), batch_size)) / 2
        if self.task == "binary":
            positive = self.class_names.index(self.positive_class)
            columns = [1 - outputs, outputs] if positive == 1 else [outputs, 1 - outputs]
            outputs = np.column_stack(columns)
        return outputs.astype(np.float64)

    @property
    def rc_average(self) -> bool:
        """Whether training averaged reverse complements (``training.rc_average``)."""
        return bool(self.metadata.get("training", {}).get("rc_average", False))

    def output_columns(self) -> list[str]:
        """Names of the score columns that :func:`predict_sequences` writes."""
        if self.task == "regression":
            return [f"value_{name}" for name in self.class_names]
        return [f"prob_{name}" for name in self.class_names]


def _prediction_rows(predictor: Predictor, ids: np.ndarray,
                     scores: np.ndarray) -> Iterable[list[Any]]:
    names = np.asarray(predictor.class_names, dtype=object)
    values = scores.reshape(len(ids), -1)
    if predictor.task in ("binary", "multiclass"):
        labels = names[values.argmax(axis=1)]
    elif predictor.task == "multilabel":
        threshold = float(predictor.metadata.get("threshold", 0.5))
        labels = np.array([";".join(names[row >= threshold]) for row in values], dtype=object)
    else:
        labels = None
    text = np.char.mod("%.6g", values)
    for i, record_id in enumerate(ids):
        row = [record_id, *text[i]]
        if labels is not None:
            row.append(labels[i])
        yield row


def predict_sequences(
    model_path: str | os.PathLike[str],
    source: str | os.PathLike[str] | list[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    device: str = "cpu",
    reverse_complement: bool | None = None,
    truncate: str | None = None,
    pad: str | None = None,
    read_options: dict[str, Any] | None = None,
    alphabet_check: bool = True,
) -> int:
    """Score every record of a FASTA or CSV/TSV file and write one CSV row per record.

    Parameters
    ----------
    model_path : path-like
        Model file or run folder.
    source : path-like or list of path-like
        FASTA or CSV/TSV file, optionally gzip-compressed, or an HDF5 store;
        a list is scored in order.
    out : path-like
        Output CSV: ``id``, one ``prob_<class>`` (or ``value_<target>``)
        column per output, then ``predicted_label`` (``predicted_labels``,
        ``;``-joined, for multilabel models; none for regression).
    batch_size : int, default=512
        Records per forward pass.
    chunk_size : int, default=50000
        Records read from the input at a time.
    device : str, default="cpu"
    reverse_complement : bool or None, default=None
        Average each record's output with its reverse complement's; None
        does so when the model was trained with reverse-complement averaging.
    truncate, pad : str or None
        Length policy overrides; see :meth:`Predictor.load`.
    read_options : dict or None
        Extra options of :func:`bioseq.io.load.iter_sequences`.
    alphabet_check : bool, default=True
        Reject input whose first records look like another alphabet than the
        model's; see :meth:`Predictor.check_input_alphabet`.

    Returns
    -------
    int
        Number of records written.
    """
    predictor = Predictor.load(model_path, device=device, truncate=truncate, pad=pad)
    out = Path(out)
    make_output_folder(out.parent)
    options = {"alphabet": predictor.spec.alphabet, **(read_options or {})}
    header = ["id", *predictor.output_columns()]
    if predictor.task in ("binary", "multiclass"):
        header.append("predicted_label")
    elif predictor.task == "multilabel":
        header.append("predicted_labels")

    n_written = 0
    transforms: Counter = Counter()
    with atomic_open(out, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        for chunk in _iter_chunks(source, chunk_size, options, predictor):
            # NOTE: only the first non-empty chunk is sampled, so a --chunk-size below
            # 100 samples fewer than 100 records.
            if alphabet_check and n_written == 0:
                predictor.check_input_alphabet(chunk)
            predictor.check(chunk, transforms)
            scores = predictor.score(chunk, batch_size=batch_size,
                                     reverse_complement=reverse_complement, check=False)
            writer.writerows(_prediction_rows(predictor, chunk.ids, scores))
            n_written += len(chunk)
            transforms.update(chunk.transforms)
            logger.debug("scored %d records", n_written)
    changed = {key: value for key, value in transforms.items() if value}
    logger.info("wrote %d predictions to %s%s", n_written, out,
                f" (input transformations: {dict(changed)})" if changed else "")
    return n_written


def _iter_chunks(source: str | os.PathLike[str] | list[str | os.PathLike[str]], chunk_size: int,
                 options: dict[str, Any], predictor: Predictor) -> Iterator[SequenceSet]:
    from bioseq.io.load import iter_sequences

    sources = [str(item) for item in source] if isinstance(source, list) else [str(source)]
    try:
        yield from iter_sequences(sources, chunk_size=chunk_size, labels=False, **options)
    except SequenceError as error:
        raise explain_invalid_residue(error, predictor.path, predictor.spec.alphabet) from error


def explain_invalid_residue(error: SequenceError, model_path: str | os.PathLike[str],
                            alphabet: str) -> SequenceError:
    """Add the model's alphabet to a reader's invalid-character error.

    A nucleic-acid model reads its own alphabet only, so amino-acid letters
    fail in the reader, whose message does not say that the model chose the
    alphabet. Other errors are returned unchanged.
    """
    if alphabet == "protein" or "invalid" not in str(error):
        return error
    return SequenceError(f"{error}; the model {model_path} reads {alphabet} only, so score "
                         "protein input with a protein model")
