"""What the SQL console accepts: one SELECT (or EXPLAIN [ANALYZE] around one), calling no function and
naming no view that shows the machine (settings, paths, the platform, the process's state) or runs a
string as SQL.

Functions that read files stay callable: the console's disabled external access refuses them with
its own message. Every other table function DuckDB has is either allowed or refused here, by name;
tests/test_sandbox_machine.py fails when a DuckDB upgrade brings one that is neither, so each new one
is decided on, and it runs every view and argument-less table function through the console looking
for a path of the machine."""
from __future__ import annotations

import functools
import re
import threading

import duckdb

from pipeline.errors import CatalogError, first_line
from pipeline.queries.sandbox import is_single_threaded


class ConsoleError(CatalogError):
    """A console statement was refused, failed, or ran out of time; the message says which and why."""


_ALLOWED_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
_EXPLAIN = re.compile(r"^(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*explain\s+(?:analy[sz]e\s+|\([^)]*\)\s*)?",
                      re.IGNORECASE | re.DOTALL)
_REFUSALS = {
    "ATTACH": "ATTACH/DETACH is refused: the console reaches the published catalog and nothing else",
    "DETACH": "ATTACH/DETACH is refused: the console reaches the published catalog and nothing else",
    "LOAD": "INSTALL/LOAD is refused: extensions are disabled in the console",
    "COPY": "COPY/EXPORT is refused: the console never writes files (use the download buttons)",
    "EXPORT": "COPY/EXPORT is refused: the console never writes files (use the download buttons)",
}
# Table functions (and table macros) a query may call: generators, the catalog's own schema, samples.
ALLOWED_TABLE_FUNCTIONS = frozenset({
    "duckdb_approx_database_count", "duckdb_available_metrics", "duckdb_columns", "duckdb_constraints",
    "duckdb_coordinate_systems", "duckdb_dependencies", "duckdb_dialects", "duckdb_functions", "duckdb_indexes",
    "duckdb_keywords", "duckdb_optimizers", "duckdb_schemas", "duckdb_secret_type_parameters", "duckdb_secret_types",
    "duckdb_sequences", "duckdb_table_sample", "duckdb_tables", "duckdb_triggers", "duckdb_types", "duckdb_views",
    "generate_series", "histogram", "histogram_values", "icu_calendar_names", "json_each", "json_tree",
    "pg_timezone_names", "pragma_collations", "pragma_show", "pragma_table_info", "pragma_version", "range",
    "repeat", "repeat_row", "summary", "test_all_types", "unnest",
})
FILE_FUNCTION = re.compile(r"(read_|parquet_).*|glob|sniff_csv")  # refused by the disabled external access
# Refused by name: they show settings, paths, the platform, extensions, secrets, logs, memory or the
# process's state; change it (logging, profiling, checkpoints, external resources, the grammar); take
# raw pointers (the *_scan functions of the Python client); or run a string as SQL.
REFUSED_NAMES = frozenset({
    "add_grammar_extension", "arrow_scan", "arrow_scan_dumb", "checkpoint", "create_external_resource",
    "current_setting", "deregister_external_resource", "destroy_external_resource", "disable_logging",
    "disable_profiling", "duckdb_connection_count", "duckdb_databases", "duckdb_eviction_queues",
    "duckdb_extension_repositories", "duckdb_extensions", "duckdb_external_file_cache",
    "duckdb_external_resource_types", "duckdb_external_resources", "duckdb_grammar_extensions",
    "duckdb_live_query_metrics", "duckdb_log_contexts", "duckdb_logs", "duckdb_logs_parsed", "duckdb_memory",
    "duckdb_prepared_statements", "duckdb_profiling_settings", "duckdb_secrets", "duckdb_settings",
    "duckdb_temporary_files", "duckdb_variables", "enable_logging", "enable_profiling", "force_checkpoint",
    "getenv", "json_execute_serialized_sql", "pandas_scan", "pg_settings", "pragma_database_list",
    "pragma_database_size", "pragma_metadata_info", "pragma_platform", "pragma_storage_info", "pragma_user_agent",
    "python_arrow_scan", "python_map_function", "register_external_resource",
    "register_external_resource_type", "remove_grammar_extension", "seq_scan", "test_vector_types",
    "truncate_duckdb_logs", "which_secret",
})
_WORD = re.compile(r"[a-z_][a-z0-9_$]*")
REFUSED_CALLS = ("query", "query_table")  # run a string as SQL; refused as calls only ("query" is a fair name)
_RUNS_SQL = re.compile(r"\b(" + "|".join(REFUSED_CALLS) + r")\s*\(")


def check_statement(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse anything but a single SELECT (or EXPLAIN [ANALYZE] SELECT), and any refused name, with a
    message naming what was refused and why."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise ConsoleError(first_line(exc)) from None
    if not statements:
        raise ConsoleError("nothing to run: type a SELECT statement")
    if len(statements) > 1:
        raise ConsoleError(f"one statement at a time, please (found {len(statements)})")
    kind = statements[0].type
    if kind == duckdb.StatementType.EXPLAIN:
        _check_explained(con, statements[0].query)
    elif kind not in _ALLOWED_STATEMENTS:
        name = kind.name
        raise ConsoleError(_REFUSALS.get(name, f"{name} statements are refused: the console is read-only "
                                                "(SELECT, WITH ... SELECT, DESCRIBE, SUMMARIZE and EXPLAIN work)"))
    # as words: views need no parentheses, and quoting a name ("pg_settings") must not hide it
    text = query.lower().replace('"', " ")
    refused = sorted(set(_WORD.findall(text)) & REFUSED_NAMES) or [m.group(1) for m in _RUNS_SQL.finditer(text)]
    if refused:
        raise ConsoleError(f"{refused[0]}() is refused in the console: it shows the machine's settings, paths "
                           "or state, changes them, or runs a string as SQL")


def _check_explained(con: duckdb.DuckDBPyConnection, text: str) -> None:
    """EXPLAIN ANALYZE executes the statement it wraps: that statement must be a SELECT too."""
    inner = _EXPLAIN.sub("", text, count=1)
    try:
        statements = con.extract_statements(inner) if inner != text else []
    except duckdb.Error as exc:
        raise ConsoleError(first_line(exc)) from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise ConsoleError("EXPLAIN and EXPLAIN ANALYZE are accepted only around a SELECT statement")


_CHECKER_LOCK = threading.Lock()


def refuse_early(query: str) -> None:
    """A refusal needs no child (the child checks again). A process that runs threads anyway (the
    dashboard) checks on one kept connection, 20 ms less a query; a one-thread CLI opens and closes its
    own, since a DuckDB instance starts threads and a process with threads cannot fork its child."""
    if is_single_threaded():
        with duckdb.connect(":memory:") as checker:
            check_statement(checker, query)
        return
    with _CHECKER_LOCK:
        check_statement(_shared_checker(), query)


@functools.cache
def _shared_checker() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")
