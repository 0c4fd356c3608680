"""The dataset loaders, one small module per source, in a :class:`~med_u1.registry.Registry`."""

from __future__ import annotations

from med_u1.data.sources import (
    ehrnoteqa,
    gpqa,
    medcalc,
    medical_o1,
    medmcqa,
    medqa,
    medu1,
    medxpertqa,
    mediq,
    mmlu_pro,
    pubmedqa,
)
from med_u1.data.sources.base import SourceSpec
from med_u1.registry import Registry

SOURCES: Registry[SourceSpec] = Registry("dataset")
for _module in (medqa, medxpertqa, medcalc, mediq, ehrnoteqa, medical_o1, mmlu_pro, pubmedqa, medmcqa, gpqa, medu1):
    SOURCES.add(_module.SPEC.name, _module.SPEC)

#: The loader called ``name``; an unknown name suggests the closest and lists the known ones.
get_source = SOURCES.get

__all__ = ["SOURCES", "SourceSpec", "get_source"]
