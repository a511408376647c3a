"""Neural networks of the DMS (no app logic): TSM, streaming inference, checkpoints, export.

Public API: `load_checkpoint(path) -> (model, meta)`, `save_checkpoint`, `CheckpointMeta`, `TSN`,
`OnlineTSM(model)`. Imported lazily, so command-line help does not pay for importing torch.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "load_checkpoint": "models.checkpoints",
    "save_checkpoint": "models.checkpoints",
    "CheckpointMeta": "models.checkpoints",
    "TSN": "models.tsm",
    "OnlineTSM": "models.online",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
