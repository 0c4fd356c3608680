"""Raw records -> validated Examples, stopping at or collecting invalid records."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from med_u1.data.io import iter_records
from med_u1.data.record import Example, RecordError
from med_u1.data.sources import get_source

logger = logging.getLogger(__name__)


@dataclass
class LoadResult:
    """Examples of one input, the invalid records skipped, and how many the subset filter left out."""

    examples: list[Example] = field(default_factory=list)
    invalid: list[RecordError] = field(default_factory=list)
    out_of_subset: int = 0


def load_examples(
    dataset: str,
    source: str,
    split: str,
    *,
    skip_invalid: bool = False,
    hf_config: str | None = None,
    hf_split: str | None = None,
) -> LoadResult:
    """Load ``source`` (file, folder or Hub id) with the ``dataset`` loader as ``split``.

    An invalid record raises :class:`RecordError` (file, line, field) unless ``skip_invalid``,
    in which case it is collected in ``LoadResult.invalid``.
    """
    spec = get_source(dataset)
    if spec.hf_id is not None and source == spec.hf_id:
        hf_config = hf_config or spec.hf_config
    hf_split = hf_split or spec.hf_splits.get(split, split)
    from tqdm import tqdm

    result = LoadResult()
    seen_uids: set[str] = set()
    records = iter_records(source, hf_config=hf_config, hf_split=hf_split)
    for index, (where, record) in enumerate(tqdm(records, desc=f"reading {dataset}", unit=" rec", disable=None)):
        try:
            if isinstance(record, RecordError):
                raise record
            example = spec.parse(record, where, split, index)
            if example is None:
                result.out_of_subset += 1
                continue
            if example.uid in seen_uids:
                raise where.error("uid", f"duplicate record id {example.uid!r}")
        except RecordError as exc:
            if not skip_invalid:
                raise
            logger.warning("skipping invalid record: %s", exc)
            result.invalid.append(exc)
            continue
        seen_uids.add(example.uid)
        result.examples.append(example)
    return result
