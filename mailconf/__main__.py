"""``python3 -m mailconf``."""

import sys

from .cli import main

sys.exit(main())
