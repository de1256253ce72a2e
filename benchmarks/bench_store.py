"""Measure the HDF5 store beside plain and gzip FASTA, and store-fed training beside in-memory.

Each measurement runs in a fresh Python process, so its peak RSS is its own.
Results print as a Markdown table of ratios; the raw numbers go to a JSON file.

Parts:

``preprocess``
    The FASTA-to-codes reader alone (``iter_fasta``, nothing kept) beside
    the whole ``bioseq preprocess`` (read, compress, write, hash), both as
    in-process timings, plus the CLI as a whole-process timing.
``read``
    File size and streaming read speed of the store, the FASTA, the gzip
    FASTA (``iter_fasta``) and pyfastx's parser on the same FASTA.
``compression``
    Write speed, read speed and size of 64 MB of random DNA codes under
    HDF5's filters (none, lzf, gzip levels) and chunk sizes, beside the
    store's own isal direct-chunk path.
``train``
    Samples/s of a CPU training loop (one-hot on the batch, forward, loss,
    backward, Adam) fed by the in-memory loader and by the store loader, and
    the store loader alone.
``run``
    Samples/s and peak RSS of bioseq's whole training run (``train_run``,
    what ``bioseq train`` calls) from the store out of core beside the same
    run on the store read into memory, each in a fresh process.

Usage::

    python benchmarks/bench_store.py --workdir /tmp/bench-store            # 500 MB FASTA
    python benchmarks/bench_store.py --workdir /tmp/bench-store --full     # 5 GB FASTA
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

LINE_WIDTH = 80
# Records per streamed batch: the default of bioseq preprocess --chunk-records.
CHUNK_RECORDS = 10_000
SCRIPT = Path(__file__).resolve()


# ------------------------------------------------------------------ data files


def generate_fasta(path: Path, n_records: int, length: int, seed: int = 0) -> None:
    """Write ``n_records`` random DNA records of ``length`` bp, wrapped at 80 columns."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    per_block = 10_000
    temp = path.with_suffix(".part")
    with open(temp, "wb") as handle:
        for first in range(0, n_records, per_block):
            count = min(per_block, n_records - first)
            residues = letters[rng.integers(0, 4, (count, length))]
            lines = []
            for offset in range(count):
                row = residues[offset].tobytes()
                wrapped = b"\n".join(row[i : i + LINE_WIDTH] for i in range(0, length, LINE_WIDTH))
                lines.append(b">r%d\n%s\n" % (first + offset, wrapped))
            handle.write(b"".join(lines))
    os.replace(temp, path)


def gzip_copy(source: Path, target: Path) -> None:
    """Compress ``source`` to ``target`` with gzip level 6 (isal's igzip when present)."""
    try:
        from isal import igzip as gzip_module

        level = 3  # igzip's highest level; its ratio on DNA is close to zlib level 6
    except ImportError:
        import gzip as gzip_module

        level = 6
    with open(source, "rb") as src, gzip_module.open(target, "wb", compresslevel=level) as dst:
        while block := src.read(1 << 24):
            dst.write(block)


# -------------------------------------------------------------------- phases


def _warm_up(fasta: str, store: bool) -> None:
    """Load the compiled kernels once, so start-up stays out of the timed throughput."""
    import tempfile

    from bioseq.io.compression import open_binary
    from bioseq.io.fasta import iter_fasta
    from bioseq.io.store import write_store

    # The decompressed head, so that a gzip input warms up on plain text too.
    with open_binary(fasta) as handle:
        head = handle.read(1 << 16)
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "head.fa"
        sample.write_bytes(head[: head.rfind(b"\n>") + 1])
        batches = iter_fasta(sample, chunk_size=CHUNK_RECORDS, alphabet="dna")
        if store:
            write_store(Path(folder) / "head.h5", batches, sources=[sample])
        else:
            for _ in batches:
                pass


def phase_reader(fasta: str, warm_up: int = 1) -> dict:
    from bioseq.io.fasta import iter_fasta

    if warm_up:
        _warm_up(fasta, store=False)
    start = time.perf_counter()
    n = residues = 0
    for batch in iter_fasta(fasta, chunk_size=CHUNK_RECORDS, alphabet="dna"):
        n += len(batch)
        residues += int(batch.offsets[-1])
    return {"seconds": time.perf_counter() - start, "records": n, "residues": residues}


def phase_preprocess(fasta: str, store: str) -> dict:
    from bioseq.io.fasta import iter_fasta
    from bioseq.io.store import write_store

    _warm_up(fasta, store=True)
    start = time.perf_counter()
    summary = write_store(store, iter_fasta(fasta, chunk_size=CHUNK_RECORDS, alphabet="dna"),
                          sources=[fasta], overwrite=True)
    return {"seconds": time.perf_counter() - start, "records": summary["n_sequences"]}


def phase_read_store(store: str) -> dict:
    from bioseq.io.store import open_store, read_codes

    start = time.perf_counter()
    residues = 0
    with open_store(store) as handle:
        codes = handle.handle["codes"]
        step = 64 * (1 << 20)
        for first in range(0, codes.shape[0], step):
            stop = min(first + step, codes.shape[0])
            residues += len(read_codes(handle.path, codes, first, stop))
        handle.ids()
    return {"seconds": time.perf_counter() - start, "residues": residues}


def phase_pyfastx(fasta: str) -> dict:
    import pyfastx

    start = time.perf_counter()
    residues = 0
    for _, sequence in pyfastx.Fasta(fasta, build_index=False):
        residues += len(sequence)
    return {"seconds": time.perf_counter() - start, "residues": residues}


def _train_step(batch: dict, model, optimizer, loss_fn) -> None:
    from bioseq.encode.onehot import onehot_torch

    # One-hot on the batch: (N, L) codes -> (N, A, L).
    x = onehot_torch(batch["codes"], "dna")
    loss = loss_fn(model(x), batch["labels"])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def _next_batch(state: dict) -> dict:
    try:
        return next(state["iterator"])
    except StopIteration:
        state["iterator"] = iter(state["loader"])
        return next(state["iterator"])


def phase_train(store: str, model_name: str, steps: int, loader_batches: int) -> dict:
    """Train one model copy from memory and one from the store, alternating step by step.

    Alternating in one process exposes both feeds to the same load on a shared
    machine, so their ratio is fair even when the absolute rates drift.
    """
    import copy

    import torch

    from bioseq.data.dataset import CodesDataset, make_loader
    from bioseq.data.store_dataset import make_store_loader
    from bioseq.io.store import read_store
    from bioseq.models.registry import get_model

    torch.manual_seed(0)
    length = 1000
    data = read_store(store)
    loaders = {
        "memory": make_loader(CodesDataset.from_sequence_set(data, length=length), 64,
                              shuffle=True, seed=0),
        "store": make_store_loader(store, batch_size=64, length=length, seed=0),
    }
    base = get_model(model_name, n_outputs=2)
    feeds = {}
    for name, loader in loaders.items():
        model = copy.deepcopy(base)
        feeds[name] = {"loader": loader, "iterator": iter(loader), "model": model,
                       "optimizer": torch.optim.Adam(model.parameters(), lr=1e-3),
                       "seconds": 0.0, "cpu_seconds": 0.0, "samples": 0}
    loss_fn = torch.nn.CrossEntropyLoss()
    for state in feeds.values():  # warm-up: first batches, allocator, kernels
        for _ in range(3):
            _train_step(_next_batch(state), state["model"], state["optimizer"], loss_fn)
    for _ in range(steps):
        for state in feeds.values():
            start, cpu_start = time.perf_counter(), time.process_time()
            batch = _next_batch(state)
            _train_step(batch, state["model"], state["optimizer"], loss_fn)
            state["samples"] += len(batch["labels"])
            state["seconds"] += time.perf_counter() - start
            state["cpu_seconds"] += time.process_time() - cpu_start
    result = {name: {"seconds": state["seconds"], "cpu_seconds": state["cpu_seconds"],
                     "samples": state["samples"]}
              for name, state in feeds.items()}

    loader_state = {"loader": loaders["store"], "iterator": iter(loaders["store"])}
    start, cpu_start = time.perf_counter(), time.process_time()
    seen = 0
    for _ in range(loader_batches):
        seen += len(_next_batch(loader_state)["labels"])
    result["loader"] = {"seconds": time.perf_counter() - start,
                        "cpu_seconds": time.process_time() - cpu_start, "samples": seen}
    return result


def phase_compression(n_residues: int) -> dict:
    """Time HDF5 filters and chunk sizes on random DNA codes (write, read, size)."""
    import h5py

    from bioseq.io.store import read_codes
    from bioseq.io.store_writer import compress_chunk

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, n_residues, dtype=np.uint8)
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-compression-{os.getpid()}.h5"
    settings = [("none", {}), ("lzf", {"compression": "lzf"})]
    settings += [(f"gzip {level}", {"compression": "gzip", "compression_opts": level})
                 for level in (1, 4, 6)]
    rows = []
    try:
        for chunk in (1 << 18, 1 << 20, 1 << 22):
            for name, options in settings:
                start = time.perf_counter()
                with h5py.File(path, "w") as handle:
                    handle.create_dataset("codes", data=codes, chunks=(chunk,), **options)
                write = time.perf_counter() - start
                start = time.perf_counter()
                with h5py.File(path, "r") as handle:
                    for first in range(0, n_residues, chunk):
                        handle["codes"][first : first + chunk]
                read = time.perf_counter() - start
                rows.append({"setting": f"h5py {name}", "chunk": chunk, "write_s": write,
                             "read_s": read, "ratio": n_residues / path.stat().st_size})
        # The store's own path: direct chunk writes of chunks compressed by bioseq's
        # Huffman-only coder (level 1, the default) or by isal's level 1, in this thread.
        chunk = 1 << 20
        coders = [("bioseq store (Huffman-only deflate, level 1, direct chunks)",
                   lambda block: compress_chunk(block, 1))]
        try:
            from isal import isal_zlib

            coders.append(("isal deflate level 1, direct chunks",
                           lambda block: isal_zlib.compress(block, 1)))
        except ImportError:
            pass
        for label, coder in coders:
            coder(codes[:chunk])  # load compiled kernels before the timer starts
            start = time.perf_counter()
            with h5py.File(path, "w") as handle:
                dataset = handle.create_dataset("codes", shape=(n_residues,), dtype=np.uint8,
                                                chunks=(chunk,), compression="gzip",
                                                compression_opts=1)
                for first in range(0, n_residues, chunk):
                    block = codes[first : first + chunk]
                    dataset.id.write_direct_chunk((first,), coder(block))
            write = time.perf_counter() - start
            read = float("inf")
            for _ in range(3):  # best of three: the first read also pays one-off set-up
                start = time.perf_counter()
                with h5py.File(path, "r") as handle:
                    read_codes(path, handle["codes"], 0, n_residues)
                read = min(read, time.perf_counter() - start)
            rows.append({"setting": label, "chunk": chunk, "write_s": write, "read_s": read,
                         "ratio": n_residues / path.stat().st_size})
    finally:
        path.unlink(missing_ok=True)
    return {"residues": n_residues, "rows": rows, "coders": _time_coders(rng)}


def _time_coders(rng: np.random.Generator, calls: int = 200) -> list[dict]:
    """Time one 1 MiB chunk through each coder in this thread: median ms per call, size ratio."""
    import statistics
    import zlib

    from bioseq.io.store_writer import compress_chunk

    size = 1 << 20
    dna = rng.integers(0, 4, size, dtype=np.uint8)
    with_n = dna.copy()
    with_n[rng.random(size) < 0.001] = 4
    # 22 protein codes with skewed frequencies, as in real proteomes.
    weights = 1.0 / np.arange(1, 23)
    protein = rng.choice(22, size, p=weights / weights.sum()).astype(np.uint8)
    coders = [("bioseq Huffman (level 1)", lambda block: compress_chunk(block, 1)),
              ("zlib level 1", lambda block: zlib.compress(block, 1))]
    try:
        from isal import isal_zlib

        coders.insert(1, ("isal level 1", lambda block: isal_zlib.compress(block, 1)))
    except ImportError:
        pass
    rows = []
    for chunk_name, chunk in (("uniform DNA", dna), ("DNA with 0.1% N", with_n),
                              ("protein-like, 22 skewed codes", protein)):
        for coder_name, coder in coders:
            coder(chunk)  # compiled kernels and cached tables load before the timer
            times = []
            for _ in range(calls):
                start = time.perf_counter()
                out = coder(chunk)
                times.append(time.perf_counter() - start)
            rows.append({"chunk": chunk_name, "coder": coder_name,
                         "ms": 1000 * statistics.median(times), "ratio": size / len(out)})
    return rows


def phase_run(store: str, mode: str, epochs: int, model_name: str) -> dict:
    """Run bioseq's whole training run from the store out of core, or from the store read whole.

    The timer covers reading (the index and hashes, or every code), the
    epochs, validation, test scoring and the outputs.
    """
    from bioseq.io.store import read_store
    from bioseq.train.config import resolve_config
    from bioseq.train.run import train_run

    config = resolve_config(overrides={
        "data": {"sources": [store]}, "model": {"name": model_name},
        "trainer": {"epochs": epochs, "batch_size": 64, "accelerator": "cpu", "seed": 0}})
    out = Path(store).with_name(f"run_{mode}")
    start = time.perf_counter()
    seqset = read_store(store) if mode == "memory" else None
    result = train_run(config, out, seqset)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "samples": result.manifest["split_sizes"]["train"] * epochs,
            "mode": result.manifest["data_loading"]["mode"]}


PHASES = {
    "reader": phase_reader,
    "preprocess": phase_preprocess,
    "read_store": phase_read_store,
    "pyfastx": phase_pyfastx,
    "train": phase_train,
    "compression": phase_compression,
    "run": phase_run,
}


def run_phase(name: str, *args: object) -> dict:
    """Run one phase in a fresh process and return its result with its peak RSS."""
    command = [sys.executable, str(SCRIPT), "--phase", name, *map(str, args)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def run_cli_preprocess(fasta: Path, store: Path) -> dict:
    """Time ``bioseq preprocess`` as a whole process (startup and imports included)."""
    bioseq = Path(sys.executable).with_name("bioseq")
    return _time_process([str(bioseq), "-q", "preprocess", str(fasta), "--alphabet", "dna",
                          "--out", str(store), "--overwrite"])


def run_cold_reader(fasta: Path) -> dict:
    """Time the reader as a whole process without warm-up, the CLI's counterpart."""
    return _time_process([sys.executable, str(SCRIPT), "--phase", "reader", str(fasta), "0"])


def _time_process(command: list[str]) -> dict:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{' '.join(command)} failed with status {status}")
    return {"seconds": seconds, "peak_rss_bytes": usage.ru_maxrss * 1024,
            "cpu_seconds": usage.ru_utime + usage.ru_stime}


# ------------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bioseq-bench-store"))
    parser.add_argument("--full", action="store_true",
                        help="use the 5 GB FASTA (5,000,000 x 1,000 bp) instead of 500 MB")
    parser.add_argument("--records", type=int, default=None, help="records in the FASTA")
    parser.add_argument("--train-records", type=int, default=20_000)
    parser.add_argument("--model", default="cnn", help="registry model for the training part")
    parser.add_argument("--steps", type=int, default=60, help="timed training steps")
    parser.add_argument("--run-records", type=int, default=5_000,
                        help="records of the store that the run part trains on")
    parser.add_argument("--run-epochs", type=int, default=1)
    parser.add_argument("--parts", default="compression,preprocess,read,train,run")
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each timing")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        result = PHASES[name](*[int(r) if r.isdigit() else r for r in rest])
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["peak_rss_bytes"] = usage.ru_maxrss * 1024
        result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
        print(json.dumps(result))
        return

    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    n_records = args.records or (5_000_000 if args.full else 500_000)
    fasta = work / f"reads_{n_records}.fa"
    fasta_gz = work / f"reads_{n_records}.fa.gz"
    store = work / f"reads_{n_records}.h5"
    results: dict[str, dict] = {"records": {"n": n_records, "length": 1000}}
    parts = set(args.parts.split(","))
    if parts & {"preprocess", "read"} and not fasta.exists():
        print(f"generating {fasta} ...", file=sys.stderr)
        generate_fasta(fasta, n_records, 1000)

    if "preprocess" in parts:
        # The machine is shared, so the runs alternate and the fastest of each is kept.
        runs: dict[str, list[dict]] = {"reader": [], "preprocess": [], "cold_reader": [],
                                       "cli_preprocess": []}
        for _ in range(args.repeats):
            runs["reader"].append(run_phase("reader", fasta))
            runs["preprocess"].append(run_phase("preprocess", fasta, store))
            runs["cold_reader"].append(run_cold_reader(fasta))
            runs["cli_preprocess"].append(run_cli_preprocess(fasta, store))
        for key, values in runs.items():
            results[key] = min(values, key=lambda run: run["seconds"])
            results[key]["all_seconds"] = [round(run["seconds"], 2) for run in values]
    if "read" in parts:
        if not store.exists():
            run_phase("preprocess", fasta, store)
        if not fasta_gz.exists():
            gzip_copy(fasta, fasta_gz)
        results["sizes"] = {"fasta": fasta.stat().st_size, "fasta_gz": fasta_gz.stat().st_size,
                            "store": store.stat().st_size}
        results["read_store"] = run_phase("read_store", store)
        results["read_fasta"] = run_phase("reader", fasta)
        results["read_fasta_gz"] = run_phase("reader", fasta_gz)
        results["read_pyfastx"] = run_phase("pyfastx", fasta)
    if "compression" in parts:
        results["compression"] = run_phase("compression", 64 << 20)
    if "train" in parts:
        train_fasta = work / f"train_{args.train_records}.fa"
        train_store = work / f"train_{args.train_records}.h5"
        if not train_store.exists():
            generate_fasta(train_fasta, args.train_records, 1000, seed=1)
            _write_labelled_store(train_fasta, train_store)
        trained = run_phase("train", train_store, args.model, args.steps, 2000)
        results["train_memory"] = trained["memory"]
        results["train_store"] = trained["store"]
        results["loader_store"] = trained["loader"]
        results["train_model"] = {"name": args.model, "steps": args.steps}

    if "run" in parts:
        run_fasta = work / f"run_{args.run_records}.fa"
        run_store = work / f"run_{args.run_records}.h5"
        if not run_store.exists():
            generate_fasta(run_fasta, args.run_records, 1000, seed=3)
            _write_labelled_store(run_fasta, run_store)
        runs = {"store": [], "memory": []}
        for _ in range(args.repeats):
            for mode in runs:
                runs[mode].append(run_phase("run", run_store, mode, args.run_epochs, args.model))
        results["run"] = {mode: min(values, key=lambda run: run["seconds"])
                          for mode, values in runs.items()}
        results["run"]["setup"] = {"records": args.run_records, "epochs": args.run_epochs,
                                   "model": args.model,
                                   "all_seconds": {mode: [round(run["seconds"], 1) for run in values]
                                                   for mode, values in runs.items()}}
    (work / "results.json").write_text(json.dumps(results, indent=2))
    print(format_report(results))
    if not args.keep:
        for path in (fasta, fasta_gz, store):
            path.unlink(missing_ok=True)


def _write_labelled_store(fasta: Path, store: Path) -> None:
    """Store the training FASTA with random binary labels and an all-train split."""
    from bioseq.io.fasta import read_fasta
    from bioseq.io.store import write_store

    data = read_fasta(fasta, alphabet="dna")
    rng = np.random.default_rng(2)
    data.labels = rng.integers(0, 2, len(data)).astype(np.int64)
    data.class_names = ["neg", "pos"]
    data.task = "binary"
    data.splits = np.full(len(data), "train", dtype=object)
    write_store(store, [data], overwrite=True)


def format_report(results: dict) -> str:
    """Format the results as Markdown tables of figures and ratios."""
    lines = []
    gb = results["records"]["n"] * 1000 / 1e9
    if "reader" in results:
        reader, pre, cli = results["reader"], results["preprocess"], results["cli_preprocess"]
        cold = results["cold_reader"]
        lines += [
            f"Preprocess, {results['records']['n']:,} x 1,000 bp FASTA ({gb:.1f} Gbp):",
            "",
            "| step | wall s (best of runs) | Mbp/s | CPU s (whole process) | peak RSS (MB) | throughput ratio to reader |",
            "|---|---|---|---|---|---|",
            _row("FASTA-to-codes reader alone (in-process)", reader, gb, reader["seconds"]),
            _row("preprocess: read + compress + write + hash (in-process)", pre, gb,
                 reader["seconds"]),
            _row("reader alone, whole-process timing (start-up and imports included)", cold, gb,
                 cold["seconds"]),
            _row("bioseq preprocess CLI, whole-process timing (ratio to the whole-process reader)",
                 cli, gb, cold["seconds"]),
            "",
            "Wall seconds of every run: " + "; ".join(
                f"{key} {results[key]['all_seconds']}" for key in
                ("reader", "preprocess", "cold_reader", "cli_preprocess")),
            "",
            "Ratio of the median runs: in-process "
            f"{_median(reader['all_seconds']) / _median(pre['all_seconds']):.2f}, CLI "
            f"{_median(cold['all_seconds']) / _median(cli['all_seconds']):.2f}.",
            "",
        ]
    if "sizes" in results:
        sizes = results["sizes"]
        lines += [
            "Size and streaming read speed of the same records:",
            "",
            "| format | size (MB) | size ratio to FASTA | read seconds | read speed ratio to store |",
            "|---|---|---|---|---|",
        ]
        store_s = results["read_store"]["seconds"]
        for label, size_key, read_key in (
            ("bioseq store (HDF5, deflate level 1)", "store", "read_store"),
            ("FASTA, bioseq reader", "fasta", "read_fasta"),
            ("gzip FASTA, bioseq reader", "fasta_gz", "read_fasta_gz"),
            ("FASTA, pyfastx (no index)", "fasta", "read_pyfastx"),
        ):
            seconds = results[read_key]["seconds"]
            lines.append(f"| {label} | {sizes[size_key] / 1e6:.0f} | "
                         f"{sizes[size_key] / sizes['fasta']:.2f} | {seconds:.1f} | "
                         f"{store_s / seconds:.2f} |")
        lines.append("")
    if "compression" in results:
        mb = results["compression"]["residues"] / 1e6
        lines += [
            f"Compression of {mb:.0f} MB of random DNA codes (one write, one sequential read):",
            "",
            "| setting | chunk (residues) | write MB/s | read MB/s | size ratio |",
            "|---|---|---|---|---|",
        ]
        lines += [f"| {row['setting']} | {row['chunk']:,} | {mb / row['write_s']:.0f} | "
                  f"{mb / row['read_s']:.0f} | {row['ratio']:.2f} |"
                  for row in results["compression"]["rows"]]
        lines.append("")
        coders = results["compression"].get("coders", [])
        if coders:
            lines += [
                "One 1 MiB chunk through each coder, one thread, median of 200 calls:",
                "",
                "| chunk | coder | ms per chunk | time / bioseq time | size ratio |",
                "|---|---|---|---|---|",
            ]
            ours = {row["chunk"]: row["ms"] for row in coders if row["coder"].startswith("bioseq")}
            lines += [f"| {row['chunk']} | {row['coder']} | {row['ms']:.3f} | "
                      f"{row['ms'] / ours[row['chunk']]:.2f} | {row['ratio']:.2f} |"
                      for row in coders]
            lines.append("")
    if "train_memory" in results:
        memory, stored, loader = (results["train_memory"], results["train_store"],
                                  results["loader_store"])
        feeds = (("memory", memory), ("store", stored), ("loader", loader))
        rate = {key: value["samples"] / value["seconds"] for key, value in feeds}
        cpu_rate = {key: value["samples"] / value["cpu_seconds"] for key, value in feeds}
        lines += [
            f"Training, model {results['train_model']['name']}, batch 64, 1,000 bp, CPU, "
            f"{results['train_model']['steps']} steps a feed, alternating step by step in one "
            "process:",
            "",
            "| feed | samples/s (wall) | ratio (wall) | samples/CPU-s | ratio (CPU) |",
            "|---|---|---|---|---|",
            f"| in-memory loader + training step | {rate['memory']:.0f} | 1.00 | "
            f"{cpu_rate['memory']:.0f} | 1.00 |",
            f"| store loader + training step | {rate['store']:.0f} | "
            f"{rate['store'] / rate['memory']:.2f} of in-memory | {cpu_rate['store']:.0f} | "
            f"{cpu_rate['store'] / cpu_rate['memory']:.2f} of in-memory |",
            f"| store loader alone | {rate['loader']:.0f} | "
            f"{rate['loader'] / rate['store']:.0f}x the store-fed training rate | "
            f"{cpu_rate['loader']:.0f} | {cpu_rate['loader'] / cpu_rate['store']:.0f}x |",
        ]
    if "run" in results:
        run, setup = results["run"], results["run"]["setup"]
        rate = {mode: run[mode]["samples"] / run[mode]["seconds"] for mode in ("store", "memory")}
        lines += [
            "",
            f"Whole training run (train_run, as bioseq train), model {setup['model']}, "
            f"{setup['records']:,} x 1,000 bp, {setup['epochs']} epoch(s), batch 64, CPU, "
            f"best of {len(setup['all_seconds']['store'])} alternating runs:",
            "",
            "| data path | seconds | train samples/s | ratio to in-memory | peak RSS (MB) |",
            "|---|---|---|---|---|",
        ]
        for mode, label in (("memory", "store read whole (in memory)"),
                            ("store", "store out of core")):
            lines.append(f"| {label} | {run[mode]['seconds']:.1f} | {rate[mode]:.0f} | "
                         f"{rate[mode] / rate['memory']:.2f} | "
                         f"{run[mode]['peak_rss_bytes'] / 1e6:.0f} |")
        lines.append("")
        lines.append(f"Seconds of every run: {setup['all_seconds']}")
    return "\n".join(lines)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _row(label: str, result: dict, gb: float, reader_seconds: float) -> str:
    return (f"| {label} | {result['seconds']:.1f} | {gb * 1000 / result['seconds']:.0f} | "
            f"{result['cpu_seconds']:.1f} | {result['peak_rss_bytes'] / 1e6:.0f} | "
            f"{reader_seconds / result['seconds']:.2f} |")


if __name__ == "__main__":
    main()
