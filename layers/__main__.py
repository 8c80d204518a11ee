"""Allow ``python -m layers …`` (same as the ``parkmap`` console script)."""

from __future__ import annotations

import sys

from layers.cli import main

if __name__ == "__main__":
    sys.exit(main())
