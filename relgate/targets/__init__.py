"""Targets execute canonical batches: the own store today; HTTP backends and wrapped apps share this seam."""

from __future__ import annotations

from typing import Protocol

from relgate.model import Batch, Outcome


class Target(Protocol):
    async def execute(self, batch: Batch) -> Outcome: ...
