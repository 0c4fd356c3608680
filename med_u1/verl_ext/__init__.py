"""Med-U1's extensions of verl, loaded in every verl process through ``med_u1.plugin``.

``register`` registers them; ``cpu_platform`` is verl's device platform for CPU-only machines,
``hf_rollout`` a transformers rollout server, ``versions`` the verl releases they are tested with.
"""
