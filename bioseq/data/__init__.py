"""Torch datasets, samplers, splits and augmentation over coded sequences."""
