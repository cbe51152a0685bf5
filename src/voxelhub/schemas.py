"""The one alias generator: snake_case in Python, camelCase on the wire (as webKnossos does)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# Version numbers as clients send them: a 32-bit column holds every real one, and a larger number must be a
# 422, not a database overflow (500).
MAX_VERSION = 2**31 - 1
VersionNumber = Annotated[int, Field(ge=0, le=MAX_VERSION)]


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class StrictInput(WireModel):
    """Request bodies: unknown fields are refused with 422 rather than silently ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, from_attributes=True, extra="forbid"
    )
