"""``bioseq encode``: write one-hot arrays, k-mer counts or tokens to an ``.npz`` file."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import numpy as np

from bioseq import __version__
from bioseq.cli.options import data_options, loader_arguments
from bioseq.errors import SequenceError

logger = logging.getLogger(__name__)

#: How many transformation counts the final log line lists (all are in the metadata).
_TRANSFORM_KEYS_LOGGED = 12


@click.command("encode")
@click.argument("inputs", nargs=-1, metavar="INPUT...")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output .npz file; written to a temporary file and renamed into place.")
@click.option("--kind", type=click.Choice(["onehot", "kmer", "tokens"]), default="onehot",
              show_default=True,
              help="onehot: x (N, A, L); kmer: x (N, A**k) counts; tokens: x (N, T) k-mer ids.")
@click.option("--length", type=click.IntRange(min=1), default=None,
              help="Fixed length L in residues for onehot and tokens; default: the longest "
                   "record. Longer or shorter records are an error unless --truncate, --tile "
                   "or --pad says otherwise.")
@click.option("--pad", type=click.Choice(["right", "left", "both"]), default=None,
              help="Pad records shorter than --length on this side.")
@click.option("--pad-char", type=click.Choice(["gap", "N"]), default="gap", show_default=True,
              help="Padding content: 'gap' is an all-zero one-hot column, 'N' the unknown residue.")
@click.option("--truncate", type=click.Choice(["right", "left", "center"]), default=None,
              help="Cut records longer than --length at this end ('center' keeps the middle).")
@click.option("--tile", is_flag=True,
              help="Cut records into windows of --length instead (onehot); the window's record "
                   "index is saved as 'record'.")
@click.option("--tile-stride", type=click.IntRange(min=1), default=None,
              help="Step between --tile windows in residues; default: --length (no overlap).")
@click.option("--ambiguity", type=click.Choice(["fractional", "zeros", "error"]),
              default="fractional", show_default=True,
              help="One-hot of ambiguity codes: spread over their residues (R = 0.5 A + 0.5 G), "
                   "all-zero columns, or an error naming record and position.")
@click.option("--dtype", type=click.Choice(["float32", "float16", "uint8"]), default="float32",
              show_default=True, help="One-hot value type (uint8 needs --ambiguity zeros or error).")
@click.option("--softmask", is_flag=True,
              help="Add a one-hot channel that is 1 at lowercase input residues.")
@click.option("-k", "--k", "k", type=click.IntRange(min=1), default=4, show_default=True,
              help="k-mer size for kmer and tokens.")
@click.option("--stride", type=click.IntRange(min=1), default=1, show_default=True,
              help="Step between k-mer starts; --stride equal to --k gives non-overlapping tokens.")
@click.option("--canonical", is_flag=True,
              help="kmer: count each k-mer together with its reverse complement.")
@click.option("--sparse", is_flag=True,
              help="kmer: save a CSR matrix (x_data, x_indices, x_indptr, x_shape); any k.")
@click.option("--frequencies", is_flag=True,
              help="kmer: divide each row by its k-mer total (float32).")
@click.option("--short", type=click.Choice(["warn", "error"]), default="warn", show_default=True,
              help="kmer: records shorter than k give an all-zero row and a warning, or an error.")
@click.option("--add-cls", is_flag=True, help="tokens: start each row with the [CLS] token.")
@click.option("--max-unknown-fraction", type=click.FloatRange(0, 1), default=0.1,
              show_default=True,
              help="tokens: share of [UNK] tokens in a record above which it is reported.")
@click.option("--on-unknown", type=click.Choice(["warn", "error", "ignore"]), default="warn",
              show_default=True, help="tokens: what a record above --max-unknown-fraction does.")
@click.option("--bed", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Encode the windows of this BED file cut from the input sequences.")
@click.option("--past-end", type=click.Choice(["error", "drop", "pad"]), default="error",
              show_default=True,
              help="BED intervals that run past the chromosome end: error, drop them, or pad "
                   "them with N.")
@click.option("--compress", is_flag=True, help="Write a compressed .npz (smaller, slower).")
@data_options
def encode(inputs: tuple[str, ...], out: Path, **options: Any) -> None:
    """Encode INPUT... (FASTA, CSV/TSV, gzip or HDF5 stores) into the arrays of OUT.

    Inputs take the same [SPLIT:][CLASS=]PATH forms and data options as
    --data in other commands. OUT contains x, ids and lengths (plus labels and
    class_names when the input has labels) and a JSON 'metadata' entry with
    every setting and count (padding side, character and amount included).
    """
    from bioseq.io.load import load_sequences

    sources, arguments = loader_arguments(**options)
    sources = [*inputs, *sources]
    if not sources:
        raise click.UsageError("no input given; pass INPUT paths (or --data PATH)")
    _check_combinations(options)
    if options["softmask"]:
        arguments["keep_softmask"] = True
    seqs = load_sequences(sources, **arguments)
    transforms: Counter = Counter(seqs.transforms)
    if options["bed"] is not None:
        from bioseq.encode.intervals import extract_intervals

        seqs = extract_intervals(seqs, options["bed"], past_end=options["past_end"],
                                 transforms=transforms)
    arrays = _encode(seqs, options, transforms)
    # With --tile, rows are windows: each takes its record's id and label.
    rows = arrays.get("record", np.arange(len(seqs)))
    arrays["ids"] = np.asarray(seqs.ids, dtype=str)[rows]
    arrays["lengths"] = arrays.pop("window_lengths", seqs.lengths)
    if seqs.labels is not None:
        arrays["labels"] = seqs.labels[rows]
        arrays["class_names"] = np.asarray(seqs.class_names or [], dtype=str)
    metadata = {
        "format": "bioseq-encoded",
        "bioseq_version": __version__,
        "kind": options["kind"],
        "alphabet": seqs.alphabet.name,
        "sources": [str(source) for source in sources],
        "settings": _settings(options),
        "n_records": len(seqs),
        "transforms": {key: int(value) for key, value in sorted(transforms.items()) if value},
        "flagged": {key: list(value) for key, value in seqs.flagged.items()},
    }
    arrays["metadata"] = np.asarray(json.dumps(metadata))
    write_npz_atomic(out, arrays, compress=options["compress"])
    logged_counts = dict(list(metadata["transforms"].items())[:_TRANSFORM_KEYS_LOGGED])
    logger.info("encoded %d record(s) as %s %s into %s; transformations: %s", len(seqs),
                options["kind"], _shape_text(arrays), out, logged_counts or "none")
    click.echo(str(out))


def _check_combinations(options: dict[str, Any]) -> None:
    kind = options["kind"]
    if options["tile"] and (kind != "onehot" or options["length"] is None):
        raise click.UsageError("--tile needs --kind onehot and --length")
    if options["tile"] and options["truncate"]:
        raise click.UsageError("--tile and --truncate exclude each other; choose one")
    if kind == "kmer" and options["length"] is not None:
        raise click.UsageError("--length applies to onehot and tokens, not kmer")
    if kind == "tokens" and options["pad"] not in (None, "right"):
        raise click.UsageError("tokens are padded on the right; drop --pad or use --pad right")
    if options["softmask"] and kind != "onehot":
        raise click.UsageError("--softmask applies to --kind onehot")


def _settings(options: dict[str, Any]) -> dict[str, Any]:
    names = {
        "onehot": ["length", "pad", "pad_char", "truncate", "tile", "tile_stride", "ambiguity",
                   "dtype", "softmask"],
        "kmer": ["k", "stride", "canonical", "sparse", "frequencies", "short"],
        "tokens": ["length", "pad", "truncate", "k", "stride", "add_cls",
                   "max_unknown_fraction", "on_unknown"],
    }[options["kind"]]
    settings = {name: options[name] for name in names}
    if options["bed"] is not None:
        settings.update(bed=str(options["bed"]), past_end=options["past_end"])
    return settings


def _encode(seqs: Any, options: dict[str, Any], transforms: Counter) -> dict[str, np.ndarray]:
    kind = options["kind"]
    if kind == "kmer":
        return _encode_kmer(seqs, options, transforms)
    if kind == "tokens":
        return _encode_tokens(seqs, options, transforms)

    from bioseq.encode.codes import tile_codes, to_fixed_length
    from bioseq.encode.onehot import encode_onehot

    pad_code = seqs.alphabet.unknown_code if options["pad_char"] == "N" else 255
    if options["tile"]:
        codes, mask, record = tile_codes(seqs, options["length"], stride=options["tile_stride"],
                                         pad=options["pad"], pad_code=pad_code,
                                         transforms=transforms)
        x = encode_onehot(codes, alphabet=seqs.alphabet, ambiguity=options["ambiguity"],
                          dtype=options["dtype"], transforms=transforms)
        return {"x": x, "mask": mask, "record": record,
                "window_lengths": mask.sum(axis=1).astype(np.int64)}
    layout = {"length": options["length"], "pad": options["pad"],
              "truncate": options["truncate"]}
    codes, mask = to_fixed_length(seqs, pad_code=pad_code, transforms=transforms, **layout)
    # Count ambiguity codes in the records themselves, so that N padding is not counted.
    x = encode_onehot(codes, alphabet=seqs.alphabet, ambiguity=options["ambiguity"],
                      dtype=options["dtype"])
    transforms["noncanonical_positions"] += int(np.count_nonzero(seqs.codes >= seqs.alphabet.size))
    if options["softmask"]:
        if seqs.softmask is None:
            raise SequenceError("the input has no soft mask to encode; read it as FASTA or a "
                                "table with --keep-softmask")
        lowercase = replace(seqs, codes=seqs.softmask.astype(np.uint8))
        channel, _ = to_fixed_length(lowercase, pad_code=0, **layout)
        # (N, L) -> (N, 1, L), appended as channel A after the residue channels.
        x = np.concatenate([x, channel[:, None, :].astype(x.dtype)], axis=1)
    return {"x": x, "mask": mask}


def _encode_kmer(seqs: Any, options: dict[str, Any], transforms: Counter) -> dict[str, np.ndarray]:
    from scipy import sparse as sp

    from bioseq.encode.kmer import kmer_counts, kmer_frequencies, kmer_names

    settings = {"k": options["k"], "stride": options["stride"], "canonical": options["canonical"],
                "sparse": options["sparse"], "short": options["short"], "transforms": transforms}
    if options["frequencies"]:
        x = kmer_frequencies(seqs, **settings)
    else:
        x = kmer_counts(seqs, **settings)
    arrays: dict[str, np.ndarray] = {}
    if sp.issparse(x):
        arrays.update(x_data=x.data, x_indices=x.indices, x_indptr=x.indptr,
                      x_shape=np.asarray(x.shape, dtype=np.int64))
    else:
        arrays["x"] = x
    if seqs.alphabet.size ** options["k"] <= 4**8:
        arrays["kmers"] = np.asarray(kmer_names(options["k"], seqs.alphabet), dtype=str)
    return arrays


def _encode_tokens(seqs: Any, options: dict[str, Any],
                   transforms: Counter) -> dict[str, np.ndarray]:
    from bioseq.encode.codes import to_fixed_length
    from bioseq.encode.tokens import KmerTokenizer

    tokenizer = KmerTokenizer(options["k"], alphabet=seqs.alphabet, stride=options["stride"],
                              add_cls=options["add_cls"],
                              max_unknown_fraction=options["max_unknown_fraction"],
                              on_unknown=options["on_unknown"])
    if options["length"] is not None:
        # Apply the length policy first, then tokenize the laid-out residues.
        import torch

        codes, mask = to_fixed_length(seqs, options["length"], pad=options["pad"],
                                      truncate=options["truncate"], transforms=transforms)
        tokenizer.check_unknown(seqs)
        ids, token_mask = tokenizer.encode_torch(torch.from_numpy(codes), torch.from_numpy(mask))
        ids, token_mask = ids.numpy(), token_mask.numpy()
    else:
        ids, token_mask = tokenizer.encode(seqs, transforms=transforms)
    vocabulary = np.asarray(tokenizer.vocabulary, dtype=str) if tokenizer.vocab_size <= 70_000 \
        else np.asarray([], dtype=str)
    return {"x": ids, "mask": token_mask, "vocabulary": vocabulary}


def _shape_text(arrays: dict[str, np.ndarray]) -> str:
    if "x" in arrays:
        return str(tuple(arrays["x"].shape))
    return f"{tuple(arrays['x_shape'].tolist())} sparse"


def write_npz_atomic(path: Path, arrays: dict[str, np.ndarray], *, compress: bool = False) -> None:
    """Write arrays to ``path`` through a temporary file in the same folder.

    A failed or killed run leaves the previous file, or none, never part of one.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise click.UsageError(f"output folder {folder} is a file; choose another output path")
    if not folder.is_dir():
        raise click.UsageError(f"output folder {folder} does not exist; create it first")
    from bioseq._files import atomic_open

    with atomic_open(path, "wb") as stream:
        (np.savez_compressed if compress else np.savez)(stream, **arrays)
