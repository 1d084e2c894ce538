"""Pieces every page shares: the freshness sidebar, the empty state, tables with downloads, URL state."""
from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
import streamlit as st

from app import data
from app.formatting import MISSING, age_text, plural, utc_text
from pipeline.queries.formatting import header, money_places


def md_escape(text: str) -> str:
    """Escape what Streamlit markdown would interpret ($ starts LaTeX; _ and * emphasis)."""
    for char in ("\\", "$", "_", "*"):
        text = text.replace(char, "\\" + char)
    return text


def sidebar_freshness() -> None:
    """Last successful snapshot, its age, a stale warning and the demo-data label (every page)."""
    with st.sidebar:
        if not data.has_catalog():
            st.caption("No catalog yet.")
            return
        fresh = data.freshness()
        if fresh["is_demo"]:
            st.warning("**demo data**: simulated by the bundled emulator, not Vultr's live catalog")
        if fresh["last_ok_at"] is None:
            st.caption("No successful snapshot yet.")
            return
        st.caption(f"Last successful snapshot: #{fresh['last_ok_snapshot_id']} at "
                   f"{utc_text(fresh['last_ok_at'])} ({age_text(fresh['age_s'])}); "
                   f"{plural(int(fresh['snapshot_count']), 'snapshot')} since {utc_text(fresh['first_at'])}")
        if fresh["is_stale"]:
            st.warning(f"Stale: the last successful snapshot is {age_text(fresh['age_s'])}. "
                       "Run `vultr-catalog collect` (or check the scheduler).")


def empty_state() -> None:
    directory = data.data_dir()
    st.title("No catalog yet")
    st.info(f"There is no published catalog in `{directory}` yet.\n\n"
            f"- `vultr-catalog collect --data-dir {directory}` fetches Vultr's live catalog (no key needed), or\n"
            "- `make demo` builds a demo history from the bundled emulator and opens this dashboard on it.\n\n"
            "Then reload this page.")


def table(frame: pd.DataFrame, name: str, column_config: dict | None = None, parquet: bool = False,
          height: int | Literal["auto"] = "auto", shown: pd.DataFrame | None = None, shown_grid: pd.DataFrame | None = None,
          friendly: bool = True) -> None:
    """A sortable table plus a CSV download of its rows (and Parquet when asked). `shown_grid` is drawn
    in place of the frame (display columns, e.g. floats formatted by column_config), the download
    keeps the exact frame; `shown` (pre-formatted text) is drawn as a markdown table. Missing is —,
    DECIMAL columns keep their scale (money as $), headers are friendly unless `friendly=False` (the
    SQL console shows a query's own column names)."""
    if shown is not None:
        st.markdown(markdown_table(shown))
    else:
        grid = frame if shown_grid is None else shown_grid
        config = {**auto_config(grid, friendly), **(column_config or {})}
        st.dataframe(grid, hide_index=True, column_config=config, height=height, placeholder=MISSING)
    # the files are made on click (deferred): a rerun no longer serializes every table it shows
    with st.container(horizontal=True):
        st.download_button("Download CSV", lambda: frame.to_csv(index=False), file_name=f"{name}.csv",
                           mime="text/csv", key=f"{name}-csv", on_click="ignore", icon=":material/download:")
        if parquet:
            st.download_button("Download Parquet", lambda: to_parquet(frame), file_name=f"{name}.parquet",
                               mime="application/vnd.apache.parquet", key=f"{name}-parquet", on_click="ignore",
                               icon=":material/download:")


UTC_FORMAT = "YYYY-MM-DD HH:mm [UTC]"  # as formatting.utc_text: 2026-11-07 00:00 UTC


def decimal_places(column: pd.Series) -> int | None:
    """The scale of a column of Decimals (the most places any value has), None for other columns."""
    values = [v for v in column.head(1000) if v is not None and not (isinstance(v, float) and v != v)]
    if not values or not all(isinstance(v, Decimal) for v in values):
        return None
    return max(max(0, -v.as_tuple().exponent) for v in values if v.is_finite())


def auto_config(frame: pd.DataFrame, friendly: bool) -> dict:
    """Column configs the one formatter implies: money `$` at the values' precision (`$17,520.00`,
    `$0.007`), other DECIMALs at their scale (`2.50`), and friendly headers."""
    config: dict[str, Any] = {}
    for column in frame.columns:
        label = header(str(column)) if friendly else str(column)
        places = decimal_places(frame[column]) if frame[column].dtype == object else None
        if places is None and isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            config[column] = st.column_config.DatetimeColumn(label, format=UTC_FORMAT, timezone="UTC")
        elif places is None:
            config[column] = st.column_config.Column(label)
        elif str(column).endswith("_usd"):
            money_places_ = money_places(frame[column].head(1000))
            config[column] = st.column_config.NumberColumn(
                label, format="dollar" if money_places_ == 2 else f"$%.{money_places_}f")
        else:
            config[column] = st.column_config.NumberColumn(label, format=f"%.{places}f")
    return config


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-style markdown table of the frame's text, cells escaped (| and markdown specials)."""
    def cell(value: Any) -> str:
        text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
        return md_escape(text).replace("|", "\\|")

    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---:" if _is_numeric(frame[c]) else ":---" for c in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _is_numeric(column: pd.Series) -> bool:
    """Numbers and formatted money/sizes align right; names align left."""
    if pd.api.types.is_numeric_dtype(column):
        return True
    return bool(column.dropna().astype(str).str.fullmatch(r"\$?[\d.,]+").all()) and not column.dropna().empty


def to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def seed_from_url(key: str, param: str, default: Any, parse: Callable[[str], Any], label: str | None = None) -> None:
    """On first load, seed a widget's session state from the URL parameter (default when absent).
    A value that does not parse is not dropped silently: it is kept for show_link_errors()."""
    if key in st.session_state:
        return
    raw = st.query_params.get(param)
    try:
        st.session_state[key] = default if raw in (None, "") else parse(raw)
    except (ValueError, TypeError, ArithmeticError):
        st.session_state[key] = default
        _link_error(key, f"Ignored {param}={raw!r} in the link: not a valid {label or param}.")


def seed_choice(key: str, param: str, default: str, choices: list[str], label: str) -> None:
    """Seed a choice from the URL, case-insensitively; an unknown value is explained with the choices."""
    if key in st.session_state:
        return
    raw = st.query_params.get(param)
    wanted = (raw or "").strip().lower()
    by_lower = {c.lower(): c for c in choices}
    st.session_state[key] = by_lower.get(wanted, default) if wanted else default
    if wanted and wanted not in by_lower:
        _link_error(key, f"Unknown {label} {raw!r} in the link; {label}s: {', '.join(choices)}.")


def seed_choices(key: str, param: str, choices: list[str], label: str) -> None:
    """Seed a multi-choice from a comma-separated URL value, case-insensitively; unknown ones explained."""
    if key in st.session_state:
        return
    wanted = [w.strip() for w in (st.query_params.get(param) or "").split(",") if w.strip()]
    by_lower = {c.lower(): c for c in choices}
    st.session_state[key] = [by_lower[w.lower()] for w in wanted if w.lower() in by_lower]
    unknown = [w for w in wanted if w.lower() not in by_lower]
    if unknown:
        _link_error(key, f"Unknown {label} {', '.join(map(repr, unknown))} in the link; {label}s: {', '.join(choices)}.")


def _link_error(key: str, message: str) -> None:
    st.session_state.setdefault("_link_errors", {})[key] = message


def show_link_errors(prefix: str) -> None:
    """One st.error per link parameter of this page that was not understood (until it is changed)."""
    errors = st.session_state.get("_link_errors", {})
    for key in sorted(k for k in errors if k.startswith(prefix + ".")):
        st.error(errors[key])


def write_url(values: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Write the page state back to the URL, leaving out values equal to their default."""
    wanted = {k: _url_text(v) for k, v in values.items() if v is not None and v != defaults.get(k)}
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def _url_text(value: Any) -> str:
    """4.0 -> "4", 0.5 -> "0.5": links stay short and read like what was typed."""
    return format(value, "g") if isinstance(value, float) else str(value)


def page_header(title: str, caption: str | None = None) -> None:
    st.title(title)
    if caption:
        st.caption(caption)
