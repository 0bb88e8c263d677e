"""What the UI's catalog shows beside the graph: tags and links to the code of every asset.

Applied once to every asset in `definitions`, so each asset module declares only what is its own
(description, columns, lineage, owners, kinds) and the catalog stays uniform.
"""

from collections.abc import Sequence

import dagster as dg

from pipeline_assets.metadata import COLUMN_SCHEMA

DOMAIN_TAGS = {"domain": "product-events", "grain": "daily"}

# The report is files, not a table: its column schema describes the day's files, as its
# report_files check lists them.
REPORT_FILES_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn(
            "file",
            "string",
            description="A file under daily_report/date=YYYY-MM-DD/: report.html "
            "(KPIs and plots as inline SVG) or a CSV of the figures behind it.",
        ),  # fmt: skip
        dg.TableColumn("bytes", "int", description="Its size; the report_files check fails on an empty file."),
    ]
)


def _catalogued(spec: dg.AssetSpec) -> dg.AssetSpec:
    metadata = {} if COLUMN_SCHEMA in spec.metadata else {COLUMN_SCHEMA: REPORT_FILES_SCHEMA}
    # The group is the layer (raw, clean, aggregated, reports): a tag too, so that it can be filtered on.
    return spec.merge_attributes(tags={**DOMAIN_TAGS, "layer": spec.group_name or "default"}, metadata=metadata)


def catalogued(assets: Sequence[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """Every asset with its tags, a column schema, and a reference to the code that defines it."""
    return list(dg.with_source_code_references(dg.map_asset_specs(_catalogued, assets)))
