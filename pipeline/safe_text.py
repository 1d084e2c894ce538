"""Text from the API (or any stranger) made safe to show: on a terminal, in a spreadsheet, in a warning.

A leaf: imports nothing from pipeline.
- terminal_text: control characters (C0, DEL, C1, and the invisible bidi and format marks that
  reorder or hide text) shown escaped, `\\x1b`, `\\u202e`, so a server label cannot retitle, clear or
  spoof the terminal that prints it; `terminal_lines` keeps the line breaks of a multi-line text.
- spreadsheet_text: a CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
  leading `'` (OWASP's CSV injection advice), so a spreadsheet reads it as text, never as a formula.
- quoted: a value quoted in a warning or an error, cut to QUOTE_LIMIT characters with its size stated.
"""
from __future__ import annotations

import logging
import re

QUOTE_LIMIT = 80  # characters of a value quoted in a warning or an error
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_SHOWN_AS = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _SHOWN_AS.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def terminal_text(text: str) -> str:
    """The text on one line with every control character escaped."""
    return _CONTROL.sub(_escaped, text)


def terminal_lines(text: str) -> str:
    """A multi-line text with its line breaks kept and every other control character escaped."""
    return "\n".join(terminal_text(line) for line in text.split("\n"))


def spreadsheet_text(text: str) -> str:
    """A CSV cell a spreadsheet reads as text: a formula start neutralized, terminal controls escaped
    (tabs and line breaks kept: the CSV writer quotes them)."""
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return "".join(part if part in ("\n", "\t", "\r") else terminal_text(part) for part in re.split(r"([\n\t\r])", text))


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """A value as a warning or an error quotes it: repr() (which escapes every unprintable character),
    cut to `limit` characters with its size stated when longer (a 100 KB id is quoted as its first 80
    characters and `... (102,400 chars)`)."""
    if isinstance(value, str):
        return repr(value) if len(value) <= limit else f"{value[:limit]!r}... ({len(value):,} chars)"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} chars)"


def shown(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A value named in a warning as it is when short and printable; else escaped, and cut to `limit`
    characters with its size stated."""
    if len(text) <= limit:
        return terminal_text(text)
    return f"{terminal_text(text[:limit])}... ({len(text):,} chars)"


class TerminalFilter(logging.Filter):
    """A handler filter: a log line shows control characters escaped (whatever logged them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        safe = terminal_lines(message)
        if safe != message:
            record.msg, record.args = safe, None
        return True
