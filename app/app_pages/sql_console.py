"""SQL console: read-only SELECTs over the published catalog, with a row limit, a time limit and downloads.

Each query runs in a bounded child process (pipeline.queries.console, sandbox): the catalog attached read-only, file access and
extensions disabled, configuration locked; anything but SELECT/EXPLAIN is refused with a clear message.
"""
from __future__ import annotations

import streamlit as st

from app import data, ui
from app.formatting import plural
from pipeline import queries

EXAMPLES = {
    "Cheapest plan per type": "select plan_type, min(monthly_cost_usd) as cheapest_usd, count(*) as plans\n"
                              "from plans group by plan_type order by cheapest_usd",
    "In stock in Frankfurt": "select p.plan_id, p.vcpu_count, p.ram_mb, p.monthly_cost_usd\nfrom availability a "
                             "join plans p using (plan_id)\nwhere a.region_id = 'fra' order by p.monthly_cost_usd",
    "Recent changes": "select changed_at, entity, entity_id, region_id, change_type\nfrom catalog_changes "
                      "order by changed_at desc limit 20",
}


def run(query: str, row_limit: int, time_limit_s: float) -> None:
    try:
        st.session_state["sql.result"] = queries.run_console(query, data.data_dir(), row_limit, time_limit_s)
        st.session_state["sql.error"] = None
    except queries.ConsoleError as exc:
        st.session_state["sql.result"], st.session_state["sql.error"] = None, str(exc)


queries.prewarm_console()  # the query process starts importing now, before the first Run
st.title("SQL console")
st.caption("DuckDB SQL over the published catalog, read-only: SELECT, WITH, DESCRIBE, SUMMARIZE, EXPLAIN. "
           "No file access, no ATTACH, no extensions, no writes.")


@st.fragment
def console() -> None:
    """The query, its limits and its answer: a Run reruns only this (the page's sidebar and the column
    list below are not drawn again)."""
    ui.seed_from_url("sql.query", "q", EXAMPLES["Cheapest plan per type"], str)
    example = st.selectbox("Examples", ["", *EXAMPLES], key="sql.example", format_func=lambda e: e or "(pick an example)")
    if example and st.session_state.get("sql.last_example") != example:
        st.session_state["sql.query"], st.session_state["sql.last_example"] = EXAMPLES[example], example
    query = st.text_area("Query", key="sql.query", height=140)
    cols = st.columns([1, 1, 4])
    row_limit = cols[0].number_input("Row limit", min_value=1, max_value=100_000, value=1000, step=100, key="sql.rows")
    time_limit = cols[1].number_input("Time limit (s)", min_value=0.5, max_value=60.0, value=10.0, step=1.0,
                                      key="sql.seconds")
    shared_link = "sql.result" not in st.session_state and bool(st.query_params.get("q"))
    if st.button("Run", type="primary", key="sql.run") or shared_link:  # a link with ?q= runs its query on open
        run(query, int(row_limit), float(time_limit))
    ui.write_url({"q": query}, {"q": EXAMPLES["Cheapest plan per type"]})

    if st.session_state.get("sql.error"):
        st.error(st.session_state["sql.error"])
    result = st.session_state.get("sql.result")
    if result is not None:
        more = f" (stopped at the row limit of {int(row_limit)})" if result.is_truncated else ""
        st.markdown(f"**{plural(len(result.frame), 'row')}**{more} in {result.elapsed_s:.2f} s.")
        ui.table(result.frame, "query-result", parquet=True, friendly=False)  # the query's own column names


console()
result = st.session_state.get("sql.result")
with st.expander("Public views and tables, with their columns", expanded=result is None):
    st.dataframe(data.public_columns(data.data_dir(), data.catalog_version()), hide_index=True)
