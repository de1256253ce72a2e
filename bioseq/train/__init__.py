"""Training engine: typed config, the Lightning system and the run directory."""
