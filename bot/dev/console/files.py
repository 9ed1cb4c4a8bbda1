"""Files the app uploads to Slack (a send's results as CSV or XLSX, charts), saved where the user
can open them: the console cannot show a file, so it names where it put it. Each completed upload
is saved into the folder (`--files`, `./santo-files` by default, made when the first file comes)
under its own name (`-2`, `-3`, … added rather than overwrite a file there); a message that
shares it, and an image block that shows it (`slack_file: {"id": …}`), print that path
(`Names.files`)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.dev.slack_standin import Upload

DEFAULT_FOLDER = Path("santo-files")
_UNSAFE = re.compile(r"[^\w.+-]+")


class SavedFiles:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.shown: dict[str, str] = {}
        """File id → the path it was saved at, as printed (relative to the current folder when
        it is inside it)."""

    def save(self, upload: Upload) -> str:
        """Write the upload's bytes (once) and return the path as printed."""
        if upload.file_id in self.shown:
            return self.shown[upload.file_id]
        self.folder.mkdir(parents=True, exist_ok=True)
        name = Path(_UNSAFE.sub("_", Path(upload.filename).name).strip("._") or "file")
        path, n = self.folder / name, 1
        while path.exists():
            n += 1
            path = self.folder / f"{name.stem}-{n}{name.suffix}"
        path.write_bytes(upload.content or b"")
        self.shown[upload.file_id] = shown_path(path)
        return self.shown[upload.file_id]


def shown_path(path: Path) -> str:
    """`santo-files/F0001-results.csv` under the current folder; otherwise the absolute path."""
    absolute = path.resolve()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)
