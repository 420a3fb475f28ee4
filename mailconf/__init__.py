"""mailconf: mail accounts as code (lint, render, probe)."""

__version__ = "0.1.0"

#: Where the repository's docs/ folder is published. Every documentation link mailconf
#: writes is built from it (SARIF ``helpUri``: ``{DOCS_URL}rules.md#mc101``): change the
#: home here, and only here.
DOCS_URL = "https://mailconf.dev/docs/"
