"""mailconf: mail accounts as code (lint, render, probe)."""

__version__ = "0.1.0"
