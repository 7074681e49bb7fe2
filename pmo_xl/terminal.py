"""What the command line may write to a terminal: users' text with its control characters
made visible, and JSON that no terminal can act on.

Cells, headers, sheet names, paths and profile values all end up in the command line's
output; a cell holding ``ESC ] 0 ; … BEL`` would otherwise retitle the window, one with
``ESC [ 2 K`` erase a line. Only the command line's modules import this one (it knows nothing
of registers, and imports nothing but the standard library, so error paths stay quick).
"""

from __future__ import annotations

import math
import re
import sys
from typing import TextIO

MISSING = "–"  # how a blank value is shown: as formatting.py and the reports show it

# C0 controls and DEL become their visible Control Pictures (ESC → ␛), so an escape sequence
# in a cell shows as text instead of moving the cursor or retitling the window. C1 controls
# (U+0080–U+009F: a UTF-8 terminal may act on U+009B as CSI), the bidi embeddings, overrides
# and isolates (they reorder what follows: "Trojan Source") and lone surrogates (from paths
# that are not UTF-8; they cannot even be encoded) become U+FFFD.
_PICTURES = {code: 0x2400 + code for code in range(0x20)} | {0x7F: 0x2421}
_UNSHOWABLE = [*range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A),
               *range(0xD800, 0xE000)]
_REPLACED = dict.fromkeys(_UNSHOWABLE, 0xFFFD)
_ONE_LINE = str.maketrans(_PICTURES | _REPLACED)
_MULTI_LINE = str.maketrans({k: v for k, v in (_PICTURES | _REPLACED).items()
                             if k not in (0x09, 0x0A)})
# In JSON the same characters are written as \u escapes: the document means exactly the
# same, and no raw C1 control, bidi override or unencodable surrogate reaches the terminal.
# (json.dumps escapes C0 itself; outside strings, JSON is ASCII.)
_JSON = str.maketrans({code: f"\\u{code:04x}" for code in [0x7F, *_UNSHOWABLE]})
# The same characters found by one regular expression: `translate` with this table looks up
# every character of the document in Python (seconds for a 100k-project roll-up).
_JSON_UNSAFE = re.compile("[\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_MISSING_TYPES = ("NAType", "NaTType")  # pandas' NA and NaT, without importing pandas


def shown(value: object, *, keep_newlines: bool = False) -> str:
    """A value as it may be written to a terminal: text with every control character made
    visible (newlines and tabs too, unless `keep_newlines`); None and NaN as MISSING."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or (
            type(value).__name__ in _MISSING_TYPES):
        return MISSING
    text = value if isinstance(value, str) else str(value)
    return text.translate(_MULTI_LINE if keep_newlines else _ONE_LINE)


# Any character `shown` changes in one-line mode: C0 controls, DEL and the unshowable ones.
_NOT_SHOWN = re.compile("[\x00-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def shown_all(values: list[object]) -> list[str]:
    """`shown` of each value (one-line mode), column-wise: when none of the texts holds a
    character to make visible (almost always), one search of them all replaces a translate
    per cell."""
    texts = [value if value.__class__ is str else shown(value) for value in values]
    if _NOT_SHOWN.search("".join(texts)):
        return [text.translate(_ONE_LINE) for text in texts]
    return texts


def echo(*parts: object, file: TextIO | None = None) -> None:
    """print() for plain lines: every part made safe to show."""
    print(*(shown(p) for p in parts), file=file or sys.stdout, flush=True)


def json_text(text: str) -> str:
    """A JSON document (json.dumps, ensure_ascii=False) safe to write to a terminal."""
    return _JSON_UNSAFE.sub(_json_escape, text)


def _json_escape(found: re.Match[str]) -> str:
    return _JSON[ord(found.group())]
