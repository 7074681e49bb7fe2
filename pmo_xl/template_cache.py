"""Compiled report templates kept between runs.

Jinja2 compiles a template to Python code each time an environment first loads it: the
project and portfolio templates take ~0.12 s, a tenth of one project's report on a
10k-project register, paid again by every `pmo-xl report` and every "Generate report"
click. Jinja2's own bytecode cache keeps the compiled code in a folder only the user can
write (its checks: `_jinja2-cache-<uid>` in the temporary folder, mode 0700, owned by the
user) and loads it again in ~3 ms when the template's source is unchanged.

The cache is a convenience, never a reason to fail: a folder that cannot be made, read or
written, or a damaged file, means the template is compiled as before. Its files are named
after the pmo-xl and Jinja2 versions, since the code compiled depends on the environment's
options (pmo-xl's) and on the compiler (Jinja2's); the source's checksum, Python's version
and Jinja2's bytecode format are checked by Jinja2 itself.
"""

from __future__ import annotations

from contextlib import suppress

import jinja2
from jinja2.bccache import Bucket, BytecodeCache, FileSystemBytecodeCache

from . import __version__

# What a damaged or foreign cache file may raise while it is read back (marshal, pickle).
_UNREADABLE = (OSError, EOFError, ValueError, TypeError, ImportError, AttributeError)


class _BestEffortCache(FileSystemBytecodeCache):
    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except _UNREADABLE:
            bucket.reset()  # compiled afresh, and written over

    def dump_bytecode(self, bucket: Bucket) -> None:
        with suppress(OSError):  # a full or read-only disk: the next run compiles again
            super().dump_bytecode(bucket)


def template_cache() -> BytecodeCache | None:
    """The user's cache of compiled report templates, or None where there can be none."""
    pattern = f"pmo-xl-{__version__}-jinja2-{jinja2.__version__}-%s.cache"
    try:
        return _BestEffortCache(pattern=pattern)
    except (OSError, RuntimeError):  # RuntimeError: Jinja2 found the folder unsafe
        return None
