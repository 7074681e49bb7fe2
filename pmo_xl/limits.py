"""What pmo-xl refuses to read, and why: every reading limit, in one place.

A register is a few thousand rows, a large one a few hundred thousand; a file that claims far
more is damaged or hostile (a zip bomb, a stray cell on row 1,048,576, an amount of 1e308).
Each limit is generous for any real register and low enough that refusing costs a fraction of
a second and little memory. README "Limits" states them for users.
"""

from __future__ import annotations

# Unpacked bytes of a whole .xlsx/.xlsm/.xlsb/.ods package. The sample register with 100,000
# projects and 700,000 lessons and milestones unpacks to about 280 MB.
MAX_UNPACKED_BYTES = 512 * 1024**2
# Unpacked / packed bytes of a package; real workbooks stay below about 20.
MAX_COMPRESSION_RATIO = 200

# Cells (rows × columns, blanks included) that python-calamine may lay out for one sheet: it
# allocates every cell of the used range, about 40 bytes each before Python sees them. The
# Lessons sheet of 100,000 projects is 3.3 million cells.
MAX_SHEET_CELLS = 10_000_000

# The Maximum Amount setting's default and the largest value it may be set to: an amount
# beyond it is a finding, and ceiling × Excel's 1,048,576 rows stays a finite float sum.
DEFAULT_MAXIMUM_AMOUNT = 1_000_000_000_000  # a trillion, in the register's currency
MAXIMUM_AMOUNT_CEILING = 10**15
