"""The command layer: one module per command, each a ``run(request) -> int``.

``mailconf.cli`` turns options into a request value (a NamedTuple) and calls one
``run``. The cores (:mod:`mailconf.lint`, :mod:`mailconf.render`,
:mod:`mailconf.probe`) return values and never print; a command prints their
results and returns the exit code. Everything a command writes to the terminal
goes through :mod:`mailconf.commands.console`, which escapes whatever a file, a
server or a user wrote (so a hostile account name cannot forge a line), and
errors reach :func:`mailconf.cli.main`, the one place that maps them to exit
codes (docs/exit-codes.md).
"""
