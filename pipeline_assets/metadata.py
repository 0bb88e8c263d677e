"""The UI metadata of every table: one helper, so every asset page reads the same way."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pandera.polars as pa
import polars as pl

PREVIEW_ROWS = 5
COLUMN_SCHEMA = "dagster/column_schema"
COLUMN_LINEAGE = "dagster/column_lineage"


@dataclass(frozen=True)
class PublishedPartition:
    rows: int
    size_bytes: int
    uri: str
    preview: str
    schema: Mapping[str, pl.DataType]


def markdown_table(frame: pl.DataFrame, limit: int = PREVIEW_ROWS, width: int = 60) -> str:
    """The first ``limit`` rows as a Markdown table, each cell cut to ``width`` characters.

    Written out rather than through Polars' own table formatting, which crashed the process here
    (a segmentation fault inside DataFrame.__str__ with Markdown formatting, polars 2.1.0).
    """

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = ["| " + " | ".join(cell(c) for c in frame.columns) + " |", "|" + "---|" * frame.width]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.head(limit).iter_rows()]
    return "\n".join(lines)


def partition_metadata(frame: pl.DataFrame, uri: str, size_bytes: int) -> PublishedPartition:
    return PublishedPartition(frame.height, size_bytes, uri, markdown_table(frame), frame.schema)


def model_column_schema(model: type[pa.DataFrameModel]) -> dg.TableSchema:
    """A Pandera model as Dagster's column schema, descriptions included."""
    columns = model.to_schema().columns
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, type=str(column.dtype), description=column.description or None)
            for name, column in columns.items()
        ]
    )


def column_lineage(asset_inputs: Mapping[str, Mapping[str, list[str]]]) -> dg.TableColumnLineage:
    """``{output column: {upstream asset: [its columns]}}`` as Dagster's column lineage."""
    return dg.TableColumnLineage(
        deps_by_column={
            column: [
                dg.TableColumnDep(asset_key=dg.AssetKey(asset), column_name=c) for asset, cs in deps.items() for c in cs
            ]
            for column, deps in asset_inputs.items()
        }
    )


def _schema(schema: Mapping[str, pl.DataType], definition_metadata: Mapping[str, Any]) -> dg.TableSchema:
    declared = definition_metadata.get(COLUMN_SCHEMA)
    descriptions = {c.name: c.description for c in declared.columns} if isinstance(declared, dg.TableSchema) else {}
    return dg.TableSchema(
        columns=[dg.TableColumn(n, type=str(t), description=descriptions.get(n)) for n, t in schema.items()]
    )


def run_metadata(published: Mapping[str, PublishedPartition], definition_metadata: Mapping[str, Any]) -> dict:
    """Materialisation metadata for a run over one or many partitions.

    Dagster attaches one metadata set to every partition a run materialises, so figures of a single
    day are given as scalars only when the run is that day; a range run gets a per-day table.
    """
    first = next(iter(published.values()))
    metadata: dict[str, Any] = {COLUMN_SCHEMA: _schema(first.schema, definition_metadata)}
    if COLUMN_LINEAGE in definition_metadata:
        metadata[COLUMN_LINEAGE] = definition_metadata[COLUMN_LINEAGE]
    if len(published) == 1:
        metadata.update(
            {
                "dagster/row_count": first.rows,
                "size_bytes": first.size_bytes,
                "dagster/uri": dg.MetadataValue.path(first.uri),
                "preview": dg.MetadataValue.md(first.preview),
            }
        )
    else:
        metadata["partitions"] = per_partition_table(
            {day: {"rows": p.rows, "size_bytes": p.size_bytes, "uri": p.uri} for day, p in published.items()}
        )
        metadata["rows_in_run"] = sum(p.rows for p in published.values())
        metadata["preview"] = dg.MetadataValue.md(first.preview)
    return metadata


def per_partition_table(rows_by_day: Mapping[str, Mapping[str, Any]]) -> dg.MetadataValue:
    """A table with one row per partition day: how a range run reports each day's figures."""
    first = next(iter(rows_by_day.values()))
    return dg.MetadataValue.table(
        records=[dg.TableRecord({"date": day, **values}) for day, values in rows_by_day.items()],
        schema=dg.TableSchema(
            columns=[dg.TableColumn("date", "string"), *(dg.TableColumn(c, _table_type(v)) for c, v in first.items())]
        ),
    )


def _table_type(value: Any) -> str:
    return "int" if isinstance(value, int) else "float" if isinstance(value, float) else "string"
