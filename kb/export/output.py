"""Writing an export to a file: checked first, then written atomically so a
failed export never leaves half a file behind."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from kb.export.errors import OutputPathError


def check_output_path(path: Path | str) -> Path:
    """Fail early, before any work, when `path` cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"出力先がフォルダです: {path}。ファイル名を指定してください",
                              "output path is a directory; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputPathError(f"出力先のフォルダがありません: {folder}。先に作成してください",
                              f"output folder does not exist: {folder}; create it first")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputPathError(f"出力先に書き込めません: {path}。書き込める場所を指定してください",
                              f"cannot write {path}: permission denied")
    return path


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    path = check_output_path(path)
    folder = path.parent if str(path.parent) else Path(".")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp makes the file 0600; an export is for sharing: rw-r--r-- less what the umask removes
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o644 & ~umask)
        os.replace(tmp, path)
    except OSError as e:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        raise OutputPathError(f"出力先に書き込めません: {path} ({e.strerror})",
                              f"cannot write {path}: {e.strerror}") from None
    return path
