"""The daily report's "What users searched for" section, from the day's ``search_themes`` rows.

Pure functions of the table: the report asset reads ``search_themes`` for its day (an input like
its other tables) and places the fragment where it wants it.
"""

import html

import polars as pl

TITLE = "What users searched for"
DEFAULT_LIMIT = 5


def _change(row: dict) -> str:
    if row["searches_previous"] == 0:
        return "new"
    return f"{row['change_pct']:+.0%}"


def _top(themes: pl.DataFrame, limit: int) -> list[dict]:
    return themes.sort("theme").head(limit).to_dicts()


def themes_section_html(themes: pl.DataFrame, limit: int = DEFAULT_LIMIT) -> str:
    """The body of the report's section (the report adds its heading, ``TITLE``): the week's top
    ``limit`` themes, every value escaped."""
    rows = _top(themes, limit)
    if not rows:
        return "<p>No searches with text in the last 7 days.</p>"
    window = f"{rows[0]['window_start']} to {rows[0]['date']}"
    body = "\n".join(
        "<tr>"
        f"<td>{html.escape(row['label'])}</td>"
        f"<td>{html.escape(', '.join(row['representative_queries']))}</td>"
        f"<td>{html.escape(', '.join(row['top_terms']))}</td>"
        f'<td class="num">{row["searches"]:,}</td>'
        f'<td class="num">{row["users"]:,}</td>'
        f'<td class="num">{html.escape(_change(row))}</td>'
        "</tr>"
        for row in rows
    )
    return (
        f"<p>Top themes of the searches from {html.escape(window)}, with the change against the 7 days before.</p>"
        "<table><thead><tr><th>theme</th><th>how users put it</th><th>top terms</th>"
        "<th>searches</th><th>users</th><th>change</th></tr></thead>"
        f"<tbody>\n{body}\n</tbody></table>"
    )


def themes_section_markdown(themes: pl.DataFrame, limit: int = DEFAULT_LIMIT) -> str:
    rows = _top(themes, limit)
    if not rows:
        return f"## {TITLE}\n\nNo searches with text in the last 7 days."

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        f"## {TITLE}",
        "",
        f"Top themes of the searches from {rows[0]['window_start']} to {rows[0]['date']}.",
        "",
        "| theme | how users put it | top terms | searches | users | change |",
        "|---|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {cell(row['label'])} | {cell(', '.join(row['representative_queries']))} | "
        f"{cell(', '.join(row['top_terms']))} | {row['searches']:,} | {row['users']:,} | {_change(row)} |"
        for row in rows
    ]
    return "\n".join(lines)
