"""What a tamperer with write access to a model folder would do: put a pickle payload into a
model file and rewrite the hashes in ``metadata.json`` to match (a checksum kept beside the model
cannot stop that). Unpickled, the payload creates a marker file: evidence that loading ran code."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np

from classifier.modelfile import ARRAYS_FILE, METADATA_FILE, MODEL_FILE, sha256_file


class Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # unpickled as open(marker, "w"), which creates the file, in any process
        import builtins

        return (builtins.open, (self.marker, "w"))


def rehash(folder: Path) -> None:
    """Replace the hashes in metadata.json with those of the files as they are now."""
    meta_path = folder / METADATA_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["sha256"] = {name: sha256_file(folder / name) for name in (MODEL_FILE, ARRAYS_FILE)}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")


def plant(folder: Path, target: str, marker: Path) -> None:
    """Put a payload that writes ``marker`` into ``target`` of a saved model, and rehash."""
    if target == ARRAYS_FILE:  # an object array inside the .npz: loading it needs pickle
        np.savez(folder / ARRAYS_FILE, **{"model.weights": np.array([Payload(str(marker))], dtype=object)})
    else:
        (folder / target).write_bytes(pickle.dumps({"tagger": Payload(str(marker))}))
    rehash(folder)


def payload_is_live(tmp: Path) -> bool:
    """The payload really runs when unpickled (so a marker that stays absent means something)."""
    control = tmp / "control-marker"
    pickle.loads(pickle.dumps(Payload(str(control)))).close()
    return control.exists()
