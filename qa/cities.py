"""Which city's gazette a source file is: a corpus may hold several cities' gazettes.

Per folder: a `city.txt` next to the issues holds the city's name (one line, e.g. 太原市). Per file: a
`cities.yaml` in the folder maps file names to cities (`yangquan-gazette-2022-04.txt: 阳泉市`) and wins
over city.txt. Files with neither get `Settings.default_city` (QA_DEFAULT_CITY, 阳泉市)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .errors import QAError

CITY_FILE = "city.txt"
CITIES_FILE = "cities.yaml"
MAX_CITY = 64


def city_of(path: Path, default: str) -> str:
    """The city of one source file (see the module docstring)."""
    folder = path.resolve().parent
    per_file = _cities(folder / CITIES_FILE)
    if path.name in per_file:
        return per_file[path.name]
    return _city(folder / CITY_FILE) or default


def _check(city: object, where: str) -> str:
    if not isinstance(city, str) or not city.strip() or len(city.strip()) > MAX_CITY or "\n" in city.strip():
        raise QAError(f"{where}: {city!r} is not a city name; write one name such as 太原市 "
                      f"(at most {MAX_CITY} characters).")
    return city.strip()


def _stamp(path: Path) -> float | None:
    return path.stat().st_mtime_ns if path.is_file() else None


def _city(path: Path) -> str | None:
    return _read_city(path, _stamp(path))


def _cities(path: Path) -> dict[str, str]:
    return _read_cities(path, _stamp(path))


@lru_cache(maxsize=64)
def _read_city(path: Path, stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return _check(path.read_text(encoding="utf-8").strip(), str(path))


@lru_cache(maxsize=64)
def _read_cities(path: Path, stamp: float | None) -> dict[str, str]:
    if stamp is None:
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise QAError(f"{path} is not valid YAML ({exc}); write one `file-name: city` line per file.") from None
    if not isinstance(data, dict):
        raise QAError(f"{path} must map file names to cities (`file-name: city` lines), not {type(data).__name__}.")
    return {str(name): _check(city, f"{path} ({name})") for name, city in data.items()}
