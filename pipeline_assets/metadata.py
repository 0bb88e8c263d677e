"""The UI metadata of every table: one helper, so every asset page reads the same way."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
import polars as pl

from pipeline_assets.schemas import TableModel
from pipeline_assets.warehouse import StagedPartition

PREVIEW_ROWS = 5
COLUMN_SCHEMA = "dagster/column_schema"
COLUMN_LINEAGE = "dagster/column_lineage"


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


def partition_metadata(
    frame: pl.DataFrame, staged: StagedPartition, uri: str, definition_metadata: Mapping[str, Any]
) -> dict[str, Any]:
    """A published day's own figures, as the UI shows them on that partition."""
    metadata: dict[str, Any] = {
        "dagster/row_count": staged.rows,
        "size_bytes": staged.size_bytes,
        "dagster/uri": dg.MetadataValue.path(uri),
        "preview": dg.MetadataValue.md(markdown_table(frame)),
        COLUMN_SCHEMA: _schema(frame.schema, definition_metadata),
    }
    if COLUMN_LINEAGE in definition_metadata:
        metadata[COLUMN_LINEAGE] = definition_metadata[COLUMN_LINEAGE]
    return metadata


def model_column_schema(model: TableModel) -> dg.TableSchema:
    """A table model as Dagster's column schema, descriptions included."""
    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, type=str(c.dtype), description=c.description) for c in model.columns]
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
