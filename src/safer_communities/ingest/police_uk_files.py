"""Finding police.uk files in what the user gives: archive zips, folders in archive layout, CSVs."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from safer_communities.errors import InputError
from safer_communities.ingest.limits import DEFAULT_LIMITS, Limits, extract_member, gunzip_to, is_gzip
from safer_communities.ingest.police_uk_read import HINT

_SUFFIXES = (".csv", ".csv.gz")
_MAX_ZIP_DEPTH = 1  # zips inside the archive are read; zips inside those are refused, named


@dataclass(frozen=True)
class Source:
    """One CSV to ingest: a file on disk, or a member of a zip archive."""

    display: str          # what provenance records: the path, or 'archive.zip!YYYY-MM/member.csv'
    name: str             # file name alone
    parent: str | None    # name of the folder it sits in (a YYYY-MM folder in archive layout)
    path: Path            # the file, or the zip archive
    member: str | None = None

    def materialise(self, workdir: Path, index: int,
                    limits: Limits = DEFAULT_LIMITS) -> tuple[Path, str | None]:
        """A plain CSV DuckDB can read: the file itself, or a copy in ``workdir`` (zip member
        extracted, gzip decompressed) written within ``limits``.

        Returns the path and, for a gzip file, the sha256 of its compressed bytes (the file as the
        user has it); ``None`` means: hash the returned file.
        """
        local = self.path
        if self.member is not None:
            local = workdir / f"{index:06d}-{self.name}"
            extract_member(self.path, self.member, local, self.display, limits)
        if not is_gzip(local):
            return local, None
        target = workdir / f"{index:06d}-plain-{self.name.removesuffix('.gz')}"
        try:
            sha = gunzip_to(local, target, self.display, limits)
        finally:
            self.release(local)
        return target, sha

    def release(self, local: Path) -> None:
        """Remove a copy made by ``materialise`` once it is loaded (never the user's own files)."""
        if local != self.path:
            local.unlink(missing_ok=True)


def _is_csv(name: str) -> bool:
    return name.lower().endswith(_SUFFIXES) and not PurePosixPath(name).name.startswith(".")


def _zip_sources(path: Path, workdir: Path, limits: Limits, display: str | None = None,
                 depth: int = 0) -> list[Source]:
    """The CSVs of an archive, including those of zips inside it (one level: police.uk never nests
    archives, but a partner re-packing several downloads might)."""
    display = display or str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i.filename for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError("The file is not a readable zip archive.", found=f"{display}: {exc}",
                         hint="Re-download the police.uk archive, or pass its unzipped folder.") from exc
    wanted = [m for m in members if "__MACOSX" not in m and not PurePosixPath(m).name.startswith(".")]
    csvs = sorted(m for m in wanted if _is_csv(m))
    inner = sorted(m for m in wanted if m.lower().endswith(".zip"))
    if inner and depth >= _MAX_ZIP_DEPTH:
        raise InputError("A zip archive inside a zip archive inside another is not read.",
                         found=f"{display}!{inner[0]}",
                         hint="Unzip the outer archives and pass the police.uk archive itself.")
    if not csvs and not inner:
        raise InputError("The zip archive holds no CSV files.",
                         found=f"{display}: {len(members)} member(s)", hint=HINT)
    sources = []
    for member in csvs:
        posix = PurePosixPath(member)
        sources.append(Source(display=f"{display}!{member}", name=posix.name,
                              parent=posix.parent.name or None, path=path, member=member))
    for member in inner:
        copy = workdir / f"nested-{len(list(workdir.glob('nested-*')))}.zip"
        inner_display = f"{display}!{member}"
        extract_member(path, member, copy, inner_display,
                       replace(limits, max_file_bytes=limits.max_nested_zip_bytes))
        sources += _zip_sources(copy, workdir, limits, inner_display, depth + 1)
    return sources


def find_sources(paths: list[Path], workdir: Path, limits: Limits = DEFAULT_LIMITS) -> list[Source]:
    """Every CSV to ingest, in a stable order: arguments as given, folders and zips sorted within.

    ``workdir`` receives copies of zips found inside zips (read from there).
    """
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
                sources += _zip_sources(archive, workdir, limits)
        elif path.name.lower().endswith(".zip") or zipfile.is_zipfile(path):
            sources += _zip_sources(path, workdir, limits)
        else:
            sources.append(Source(display=str(path), name=path.name, parent=path.parent.name, path=path))
    return sources
