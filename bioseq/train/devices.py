"""Device, precision and launch-layout checks done before training starts.

These checks fail within seconds with a message that says what to change,
instead of letting a job wait for a device or a DDP rendezvous that never
comes.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch

from bioseq.errors import DeviceError

logger = logging.getLogger(__name__)

#: Residues x epochs above which a CPU-only run is worth a warning (an estimate).
GPU_SIZED_RESIDUE_EPOCHS = 2_000_000_000


@dataclass(frozen=True)
class DevicePlan:
    """Resolved Lightning ``accelerator``, ``devices``, ``num_nodes``, ``precision`` and strategy."""

    accelerator: str
    devices: int | str
    num_nodes: int
    precision: str
    strategy: str
    under_slurm: bool


def _visible_devices() -> str:
    return os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>")


def check_slurm_layout(devices: int, num_nodes: int) -> bool:
    """Check that a SLURM allocation launches one task per requested device.

    Lightning starts one process per device and expects SLURM to have
    launched them all. When ``SLURM_NTASKS`` or ``SLURM_NTASKS_PER_NODE``
    disagree with ``devices * num_nodes``, the processes would wait for one
    another for ever, so this raises instead.

    Returns
    -------
    bool
        True when the process runs inside a SLURM job step.

    Raises
    ------
    DeviceError
        If the task counts do not match, naming both numbers and the sbatch
        setting to change.
    """
    if "SLURM_JOB_ID" not in os.environ or "SLURM_NTASKS" not in os.environ:
        return False
    if os.environ.get("SLURM_JOB_NAME") in ("bash", "interactive"):
        # Lightning treats interactive allocations as plain machines and launches itself.
        return False
    ntasks = int(os.environ["SLURM_NTASKS"])
    per_node_text = os.environ.get("SLURM_NTASKS_PER_NODE", "")
    per_node = int(per_node_text.split("(")[0]) if per_node_text[:1].isdigit() else None
    expected = devices * num_nodes
    if ntasks != expected or (per_node is not None and per_node != devices):
        raise DeviceError(
            f"SLURM job {os.environ['SLURM_JOB_ID']} runs SLURM_NTASKS={ntasks} task(s)"
            f"{f' with SLURM_NTASKS_PER_NODE={per_node}' if per_node is not None else ''}, "
            f"but --devices {devices} --num-nodes {num_nodes} needs {expected} task(s), "
            f"{devices} per node. Set '#SBATCH --ntasks-per-node={devices}' and "
            f"'#SBATCH --nodes={num_nodes}' (one task per device), or pass --devices "
            f"{per_node if per_node is not None else ntasks} to match the allocation"
        )
    return True


def plan_devices(
    accelerator: str,
    devices: str,
    num_nodes: int,
    precision: str,
    work_estimate: float = 0.0,
) -> DevicePlan:
    """Choose the accelerator, device count, precision and strategy.

    Parameters
    ----------
    accelerator : {"auto", "cpu", "gpu", "cuda"}
        ``auto`` uses CUDA when a device is visible and the CPU otherwise.
    devices : str
        ``"auto"`` or a positive integer.
    num_nodes : int
        Nodes in a multi-node run.
    precision : {"auto", "32", "bf16-mixed", "16-mixed"}
        ``auto`` picks ``bf16-mixed`` on GPUs that support bfloat16 and 32-bit
        floats everywhere else.
    work_estimate : float, default=0.0
        Training residues times epochs; above
        :data:`GPU_SIZED_RESIDUE_EPOCHS` a CPU fallback is warned about.

    Raises
    ------
    DeviceError
        If CUDA is requested but none is visible, or the SLURM task layout
        does not match the devices.
    """
    has_cuda = torch.cuda.is_available()
    if accelerator in ("gpu", "cuda") and not has_cuda:
        raise DeviceError(
            f"no CUDA device visible (CUDA_VISIBLE_DEVICES='{_visible_devices()}'); "
            "request a GPU node, fix CUDA_VISIBLE_DEVICES, or pass --accelerator cpu"
        )
    if accelerator == "auto":
        accelerator = "gpu" if has_cuda else "cpu"
        if not has_cuda and work_estimate > GPU_SIZED_RESIDUE_EPOCHS:
            logger.warning(
                "!!! no CUDA device visible (CUDA_VISIBLE_DEVICES='%s'): training on the CPU. "
                "This job looks GPU-sized (about %.1e residues x epochs) and may take a long time. "
                "Pass --accelerator gpu to make a missing GPU an error. !!!",
                _visible_devices(), work_estimate,
            )
    elif accelerator == "cuda":
        accelerator = "gpu"

    if devices == "auto":
        count: int | str = "auto" if accelerator == "gpu" else 1
    else:
        count = int(devices)
        if accelerator == "gpu" and count > torch.cuda.device_count():
            raise DeviceError(
                f"--devices {count} requested but only {torch.cuda.device_count()} CUDA device(s) "
                f"are visible (CUDA_VISIBLE_DEVICES='{_visible_devices()}')"
            )
    under_slurm = check_slurm_layout(count, num_nodes) if isinstance(count, int) else False

    if precision == "auto":
        if accelerator == "gpu" and torch.cuda.is_bf16_supported():
            precision = "bf16-mixed"
        else:
            precision = "32-true"
    elif precision == "32":
        precision = "32-true"

    multi = (isinstance(count, int) and count > 1) or num_nodes > 1 or count == "auto"
    strategy = "ddp" if multi and (count != "auto" or torch.cuda.device_count() > 1) else "auto"
    logger.info("device: %s x %s on %d node(s), precision %s, strategy %s", accelerator, count,
                num_nodes, precision, strategy)
    return DevicePlan(accelerator, count, num_nodes, precision, strategy, under_slurm)
