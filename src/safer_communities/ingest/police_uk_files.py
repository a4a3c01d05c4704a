"""Finding police.uk files in what the user gives: archive zips, folders in archive layout, CSVs."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from safer_communities.errors import InputError
from safer_communities.ingest.police_uk_read import HINT

_SUFFIXES = (".csv", ".csv.gz")


@dataclass(frozen=True)
class Source:
    """One CSV to ingest: a file on disk, or a member of a zip archive."""

    display: str          # what provenance records: the path, or 'archive.zip!YYYY-MM/member.csv'
    name: str             # file name alone
    parent: str | None    # name of the folder it sits in (a YYYY-MM folder in archive layout)
    path: Path            # the file, or the zip archive
    member: str | None = None

    def materialise(self, workdir: Path, index: int) -> Path:
        """A path DuckDB can read: the file itself, or the zip member extracted into ``workdir``."""
        if self.member is None:
            return self.path
        target = workdir / f"{index:06d}-{self.name}"
        try:
            with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as src, \
                    target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputError("A file in the zip archive could not be extracted.",
                             found=f"{self.display}: {exc}",
                             hint="Check the download is complete; re-download the archive.") from exc
        return target

    def release(self, local: Path) -> None:
        """Remove an extracted zip member once it is loaded (never the user's own files)."""
        if self.member is not None:
            local.unlink(missing_ok=True)


def _is_csv(name: str) -> bool:
    return name.lower().endswith(_SUFFIXES) and not PurePosixPath(name).name.startswith(".")


def _zip_sources(path: Path) -> list[Source]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i.filename for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError("The file is not a readable zip archive.", found=f"{path}: {exc}",
                         hint="Re-download the police.uk archive, or pass its unzipped folder.") from exc
    csvs = sorted(m for m in members if _is_csv(m) and "__MACOSX" not in m)
    if not csvs:
        raise InputError("The zip archive holds no CSV files.", found=f"{path}: {len(members)} member(s)",
                         hint=HINT)
    sources = []
    for member in csvs:
        posix = PurePosixPath(member)
        sources.append(Source(display=f"{path}!{member}", name=posix.name,
                              parent=posix.parent.name or None, path=path, member=member))
    return sources


def find_sources(paths: list[Path]) -> list[Source]:
    """Every CSV to ingest, in a stable order: arguments as given, folders and zips sorted within."""
    if not paths:
        raise InputError("No files given.", hint="Pass a police.uk archive zip, a folder or CSV files.")
    sources: list[Source] = []
    for path in paths:
        if not path.exists():
            raise InputError("The path does not exist.", found=str(path), hint=HINT)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _is_csv(p.name))
            zips = sorted(p for p in path.rglob("*.zip") if p.is_file())
            if not found and not zips:
                raise InputError("The folder holds no CSV files or zip archives.", found=str(path), hint=HINT)
            sources += [Source(display=str(p), name=p.name, parent=p.parent.name, path=p) for p in found]
            for archive in zips:
                sources += _zip_sources(archive)
        elif path.name.lower().endswith(".zip") or zipfile.is_zipfile(path):
            sources += _zip_sources(path)
        else:
            sources.append(Source(display=str(path), name=path.name, parent=path.parent.name, path=path))
    return sources
