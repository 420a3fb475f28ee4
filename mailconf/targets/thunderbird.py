"""Target thunderbird: not written yet."""

from __future__ import annotations

from collections.abc import Mapping

import jinja2

from ..model import Model
from . import Rendered

NAME = "thunderbird"
TITLE = "(not written yet)"
CAPABILITIES: Mapping[str, str] = {}
OPTIONS: Mapping[str, str] = {}


def render(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
    raise NotImplementedError(NAME)
