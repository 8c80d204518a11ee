"""Allow ``python -m geo …``: the engine's commands only (no ``snapshot``/``report``).

The full command line is the ``parkmap`` console script, ``python -m layers``.
"""

from __future__ import annotations

import sys

from geo.cli import main

if __name__ == "__main__":
    sys.exit(main())
