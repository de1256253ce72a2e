"""Model families (CNN, transformer), their registry and the model file."""
