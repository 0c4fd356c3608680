"""Benchmark names, their table labels, and where their parquet files are.

A benchmark is a verl parquet written by ``medu1 data build`` as ``<dataset>_<split>.parquet``;
its name is the builder's ``--dataset`` (or ``--name``). Any other parquet with ``prompt``,
``data_source`` and ``reward_model`` columns works too; its name is the file stem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from med_u1.data.record import SPLITS
from med_u1.errors import UserError
from med_u1.registry import Registry


@dataclass(frozen=True)
class Benchmark:
    """A known benchmark: builder name, report column label, ``data_source`` of its rows."""

    name: str
    label: str
    data_source: str


#: Report column order: the Medical R1-Zero table (arXiv 2504.13950, Tab. 1), then Med-U1's
#: sets. Aliases are other file names of a benchmark: Med-U1 calls its medical-o1 sets
#: ``huatuo`` (scripts/data/build_medu1.sh).
BENCHMARKS: Registry[Benchmark] = Registry("benchmark")
for _benchmark, _aliases in (
    (Benchmark("medmcqa", "MedMCQA", "MedMCQA"), ()),
    (Benchmark("medqa", "MedQA-USMLE", "MedQA"), ()),
    (Benchmark("pubmedqa", "PubMedQA", "PubMedQA"), ()),
    (Benchmark("mmlu_pro", "MMLU-Pro Medical", "MMLU-Pro"), ()),
    (Benchmark("gpqa", "GPQA Medical", "GPQA"), ()),
    (Benchmark("medxpertqa", "MedXpertQA", "MedXpertQA"), ()),
    (Benchmark("medcalc", "MedCalc-Bench", "MedCalc-Bench"), ()),
    (Benchmark("mediq", "MediQ", "MedIQ"), ()),
    (Benchmark("ehrnoteqa", "EHRNoteQA", "EHRNoteQA"), ()),
    (Benchmark("medical_o1", "medical-o1", "medical-o1-reasoning-SFT"), ("huatuo",)),
):
    BENCHMARKS.add(_benchmark.name, _benchmark, aliases=_aliases)
BY_DATA_SOURCE = {benchmark.data_source: benchmark for benchmark in BENCHMARKS.values()}
R1ZERO_TABLE = BENCHMARKS.names()[:6]
MEDU1_TEST_SETS = ("medcalc", "mediq", "medxpertqa", "ehrnoteqa", "medical_o1")


def canonical_name(name: str) -> str:
    """A benchmark's own name for ``name`` (an alias resolved); a user's own file keeps its name."""
    return BENCHMARKS.canonical(name) if name in BENCHMARKS else name


def label_of(name: str) -> str:
    """The report column of benchmark ``name`` (the name itself for a user's own file)."""
    return BENCHMARKS.get(name).label if name in BENCHMARKS else name


def column_order(names: set[str] | list[str]) -> list[str]:
    """Known benchmarks in table order, then any others alphabetically."""
    known = [name for name in BENCHMARKS if name in names]
    return known + sorted(set(names) - set(known))


def name_of_file(path: Path, split: str) -> str:
    """``mediq_test.parquet`` -> ``mediq``; a file without a split suffix keeps its stem."""
    stem = path.name[: -len(".parquet")] if path.name.endswith(".parquet") else path.stem
    for suffix in (split, *SPLITS):
        if stem.endswith(f"_{suffix}"):
            stem = stem[: -len(suffix) - 1]
            break
    return canonical_name(stem)


def parse_names(text: str | None) -> list[str]:
    """``"medqa,medmcqa"`` (or the groups ``r1zero``, ``medu1``) as a list of names (aliases resolved)."""
    if not text:
        return []
    names: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        group = {"r1zero": R1ZERO_TABLE, "medu1": MEDU1_TEST_SETS}.get(part)
        for name in group or ([canonical_name(part)] if part else []):
            if name not in names:
                names.append(name)
    return names


def resolve(names: list[str], data: list[str], split: str) -> tuple[dict[str, Path], dict[str, str]]:
    """``({name: parquet path}, {name: why it is missing})`` for the requested benchmarks.

    ``data`` holds folders (files found as ``<name>_<split>.parquet``) and/or parquet files
    (named by :func:`name_of_file`). Without ``names``, every file given and every
    ``*_<split>.parquet`` of the folders is a benchmark.
    """
    if not data:
        raise UserError("give --data: a folder of `medu1 data build` outputs or parquet files")
    absent = [d for d in data if not Path(d).exists()]
    if absent:
        raise UserError(f"--data {', '.join(absent)}: no such file or folder")
    folders = [Path(d) for d in data if Path(d).is_dir()]
    files = {name_of_file(Path(d), split): Path(d) for d in data if not Path(d).is_dir()}
    if not names:
        found = dict(files)
        for folder in folders:
            for path in sorted(folder.glob(f"*_{split}.parquet")):
                found.setdefault(name_of_file(path, split), path)
        if not found:
            raise UserError(f"no *_{split}.parquet files in {', '.join(data)}; build them with `medu1 data build`")
        return found, {}
    paths: dict[str, Path] = {}
    missing: dict[str, str] = {}
    for name in names:
        stems = (name, *BENCHMARKS.aliases_of(name)) if name in BENCHMARKS else (name,)
        candidates = ([files[name]] if name in files else []) + [f / f"{stem}_{split}.parquet" for f in folders for stem in stems]
        existing = [c for c in candidates if c.is_file()]
        if existing:
            paths[name] = existing[0]
        else:
            tried = ", ".join(str(c) for c in candidates) or f"no folder in --data holds {name}_{split}.parquet"
            missing[name] = f"file not found ({tried}); build it with `medu1 data build --dataset {name} --split {split}`"
    return paths, missing
