"""A school's own reminder templates: one TOML file per school in the data directory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class TemplateFiles:
    """`<data_dir>/reminder-templates/<org_id>.toml`, written atomically."""

    def __init__(self, data_dir: Path) -> None:
        self._dir = data_dir / "reminder-templates"

    def path(self, org_id: str) -> Path:
        return self._dir / f"{org_id}.toml"

    def read(self, org_id: str) -> str | None:
        """The school's file, or None when it has none."""
        try:
            return self.path(org_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, org_id: str, text: str) -> Path:
        """Replace the school's file (a crash leaves the old one or the new one, never half)."""
        self._dir.mkdir(parents=True, exist_ok=True)
        target = self.path(org_id)
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=f".{org_id}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def delete(self, org_id: str) -> bool:
        """Back to the built-in templates; True if there was a file."""
        try:
            self.path(org_id).unlink()
        except FileNotFoundError:
            return False
        return True
