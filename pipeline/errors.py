"""Errors the library raises; each message says what went wrong and, where useful, what to do next."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (DuckDB's run to several), or its type name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class CatalogError(Exception):
    """Base class: the CLI prints `Error: <message>` and exits 1."""


class UnexpectedError(CatalogError):
    """Something no code path foresaw (a bug), reported as one line by the CLI; the original exception
    is its __cause__, and the service logs it with the traceback."""


class ConfigError(CatalogError):
    """Bad settings or arguments (an unknown API version, a bad duration, ...)."""


class FetchError(CatalogError):
    """An endpoint still failed after retries, or its body is not what the API returns."""

    def __init__(self, endpoint: str, cause: str) -> None:
        super().__init__(f"{endpoint}: {cause}")
        self.endpoint = endpoint
        self.cause = cause


class NoCatalogError(CatalogError):
    """No published catalog yet."""


class UnknownChoiceError(CatalogError):
    """A value (region, plan type, plan) the catalog does not know; the message names the valid ones."""


class UnknownRegionError(UnknownChoiceError):
    """A region id that the catalog does not know."""


class HistoryRangeError(CatalogError):
    """A moment before the history starts; the message says when it starts."""


class WriterBusyError(CatalogError):
    """Another collector owns the data directory."""


class AnomalyError(CatalogError):
    """A snapshot failed the quality gate and was not applied."""


class DamagedFileError(CatalogError):
    """A DuckDB file of the data directory cannot be read: the message names the command that recovers."""


def directory_in_the_way(path: object) -> CatalogError:
    """A directory where one of the data directory's files belongs (catalog, lock, warehouse)."""
    return CatalogError(f"{path} is a directory where a file belongs: move it aside (or remove it if it is "
                        "empty) and run the command again")


# What DuckDB says when a file is truncated, zeroed or otherwise not what it wrote.
_DAMAGE_MARKERS = ("could not read enough bytes", "not a valid duckdb database file", "checksum",
                   "corrupt", "internal error", "serialization error", "invalid block", "failed to deserialize")


def looks_damaged(exc: BaseException) -> bool:
    """Whether an error (or what caused it) says a database file is damaged, not busy or mistyped."""
    seen: BaseException | None = exc
    while seen is not None:
        text = str(seen).lower()
        if any(marker in text for marker in _DAMAGE_MARKERS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
