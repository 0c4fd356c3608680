"""The CPU runs users start (`cpu-smoke`, `cpu-learn`): tiny models, toy data, quiet consoles."""
