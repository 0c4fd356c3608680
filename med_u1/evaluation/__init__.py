"""Evaluation: generate answers to benchmark parquets (vLLM or transformers), score them with the
reward verifiers, aggregate metrics, and report tables and plots. ``medu1 eval`` / ``medu1 report``."""
