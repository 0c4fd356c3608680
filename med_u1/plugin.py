"""verl plugin entry point (group ``verl.plugins``).

``import verl`` loads every entry point of that group in every process, Ray workers
included, so whatever this module imports is registered wherever verl runs.
"""

from med_u1.rewards import manager  # noqa: F401  registers the "med_u1" reward manager
from med_u1.verl_ext import register  # noqa: F401  registers VERL_PLATFORM=cpu and rollout.name=hf
