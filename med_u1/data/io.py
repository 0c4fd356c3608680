"""Reading raw records from local files or Hugging Face (atomic writes: :mod:`med_u1.io`)."""

from __future__ import annotations

import csv
import errno
import json
import logging
from pathlib import Path
from typing import Any, Callable, Iterator

from med_u1.data.record import Location, RecordError
from med_u1.errors import UserError

logger = logging.getLogger(__name__)

RECORD_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
#: ``(location, record)``; a record that could not be read at all arrives as its RecordError.
RawRecord = tuple[Location, dict[str, Any] | RecordError]


def iter_records(source: str, hf_config: str | None = None, hf_split: str | None = None) -> Iterator[RawRecord]:
    """Yield ``(location, record)`` from a file, a folder of files or a Hugging Face dataset id."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in RECORD_SUFFIXES and p.is_file())
        if not files:
            raise UserError(f"{source}: no {', '.join(RECORD_SUFFIXES)} files in this folder")
        for file in files:
            yield from iter_file_records(file)
    elif path.is_file():
        yield from iter_file_records(path)
    elif path.suffix in RECORD_SUFFIXES or source.startswith((".", "/")):
        raise FileNotFoundError(errno.ENOENT, "no such file or folder", source)
    else:
        yield from iter_hf_records(source, hf_config, hf_split)


def iter_file_records(path: Path) -> Iterator[RawRecord]:
    """Records of one local file, dispatched on its suffix."""
    readers: dict[str, Callable[[Path], Iterator[RawRecord]]] = {
        ".jsonl": _iter_jsonl,
        ".json": _iter_json,
        ".csv": _iter_csv,
        ".parquet": _iter_parquet,
    }
    if path.suffix not in readers:
        raise ValueError(f"{path}: unsupported file type (use one of {', '.join(readers)})")
    return readers[path.suffix](path)


def _iter_jsonl(path: Path) -> Iterator[RawRecord]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = Location(str(path), f"line {number}")
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield where, where.error("(json)", f"malformed JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(record, dict):
                yield where, where.error("(json)", f"expected an object, got {type(record).__name__}")
                continue
            yield where, record


def _iter_json(path: Path) -> Iterator[RawRecord]:
    """A JSON array of objects, an object of objects keyed by id (the key lands in ``_key``),
    or JSON lines saved as ``.json`` (as MedMCQA's release does)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            yield from _iter_jsonl(path)
            return
        raise Location(str(path), f"line {exc.lineno}").error("(json)", f"malformed JSON: {exc.msg}") from None
    if isinstance(document, dict) and all(isinstance(v, dict) for v in document.values()):
        items = [({**value, "_key": key}) for key, value in document.items()]
    elif isinstance(document, list):
        items = document
    else:
        raise Location(str(path), "line 1").error("(json)", "expected an array of records or an object of records")
    for number, record in enumerate(items, start=1):
        where = Location(str(path), f"record {number}")
        if not isinstance(record, dict):
            yield where, where.error("(json)", f"expected an object, got {type(record).__name__}")
            continue
        yield where, record


def _iter_csv(path: Path) -> Iterator[RawRecord]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            raise Location(str(path), "line 1").error("(header)", "empty CSV file")
        start = reader.line_num + 1
        for record in reader:
            yield Location(str(path), f"line {start}"), {k: (v if v != "" else None) for k, v in record.items()}
            start = reader.line_num + 1


def _iter_parquet(path: Path) -> Iterator[RawRecord]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    for number, record in enumerate(table.to_pylist()):
        yield Location(str(path), f"row {number}"), record


def iter_hf_records(dataset_id: str, config: str | None, split: str | None) -> Iterator[RawRecord]:
    """Records of a Hugging Face dataset through ``datasets.load_dataset`` (downloads when online)."""
    import datasets

    logger.info("loading %s (config=%s, split=%s) with datasets.load_dataset", dataset_id, config, split)
    try:
        dataset = datasets.load_dataset(dataset_id, config, split=split)
    except (ConnectionError, datasets.exceptions.DatasetNotFoundError) as exc:
        raise UserError(
            f"{dataset_id!r} is not a local file or folder, and it cannot be reached as a Hugging Face dataset "
            f"({exc}). Pass a local path instead: download it where there is network access "
            f"(huggingface-cli download --repo-type dataset {dataset_id} --local-dir DIR) and give --input DIR/FILE"
        ) from exc
    label = f"hf:{dataset_id}" + (f"/{config}" if config else "") + f"[{split}]"
    for number, record in enumerate(dataset):
        yield Location(label, f"row {number}"), record
