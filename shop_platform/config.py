"""Configuration: `conf/base.yaml` + an environment overlay + `--set` overrides, validated into dataclasses.

Validation happens before Spark starts: an unknown key, a wrong type or a missing required value raises
`ConfigError` naming the key and the file (or `--set`) it came from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from shop_platform.settings import Config

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
BASE_FILE = "base.yaml"
# Catalogs beside the settings (shop_platform.catalogs) and the pipeline's DAG (shop_platform.pipeline); they
# are not environment overlays.
TAGS_FILE_NAME = "tags.yaml"
AUDIENCES_FILE_NAME = "audiences.yaml"
PIPELINE_FILE_NAME = "pipeline.yaml"
NOT_OVERLAYS = (BASE_FILE, TAGS_FILE_NAME, AUDIENCES_FILE_NAME, PIPELINE_FILE_NAME)
SET_SOURCE = "--set"

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration problem, with the key path and the source that caused it."""


def load_config(
    env: str = "local",
    overrides: Iterable[str] = (),
    conf_dir: Path | str = CONF_DIR,
) -> Config:
    """Load base.yaml, the `<env>.yaml` overlay and `key.path=value` overrides into a validated Config."""
    conf_dir = Path(conf_dir)
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    base_path = conf_dir / BASE_FILE
    _merge(merged, _read_yaml(base_path), str(base_path), sources)
    overlay_path = conf_dir / f"{env}.yaml"
    if not overlay_path.is_file() or overlay_path.name in NOT_OVERLAYS:
        available = sorted(p.stem for p in conf_dir.glob("*.yaml") if p.name not in NOT_OVERLAYS)
        raise ConfigError(
            f"--env {env!r}: no overlay file {overlay_path} (available: {', '.join(available)})"
        )
    _merge(merged, _read_yaml(overlay_path), str(overlay_path), sources)
    for override in overrides:
        key, value = parse_override(override)
        _merge(merged, _nest(key, value), SET_SOURCE, sources)
    return build_dataclass(Config, merged, "", sources, default_source=str(base_path))


def parse_override(override: str) -> tuple[str, Any]:
    """Split `a.b.c=value`; the value is parsed as YAML so numbers and booleans get their types."""
    key, sep, raw = override.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {override!r}: expected key.path=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"--set {override!r}: value is not valid YAML: {exc}") from exc
    return key, value


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def _nest(key: str, value: Any) -> dict[str, Any]:
    nested: Any = value
    for part in reversed(key.split(".")):
        nested = {part: nested}
    return nested


def _merge(
    target: dict[str, Any], update: Mapping[str, Any], source: str, sources: dict[str, str], prefix: str = ""
) -> None:
    """Deep-merge `update` into `target`, remembering which source set each key path."""
    for key, value in update.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value, source, sources, f"{path}.")
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value
            _record_sources(value, path, source, sources)
        sources[path] = source


def _record_sources(value: Any, path: str, source: str, sources: dict[str, str]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            sources[f"{path}.{key}"] = source
            _record_sources(inner, f"{path}.{key}", source, sources)


def build_dataclass(
    cls: type[T], data: Any, path: str, sources: Mapping[str, str], default_source: str = "configuration"
) -> T:
    """Build dataclass `cls` from a plain mapping, checking keys and types recursively."""
    where = sources.get(path, default_source)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: '{path}' must be a mapping, got {type(data).__name__} {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        key = _join(path, unknown[0])
        raise ConfigError(
            f"{sources.get(key, where)}: unknown key '{key}' (known keys under '{path or '<root>'}': "
            f"{', '.join(sorted(fields))})"
        )
    values = {}
    for name, field in fields.items():
        key = _join(path, name)
        if name in data:
            values[name] = _coerce(hints[name], data[name], key, sources, default_source)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where}: missing required key '{key}'")
    built = cls(**values)
    # Cross-field and range rules live on the settings classes; report them with the key and its source.
    for name, problem in getattr(built, "problems", lambda: [])():
        key = _join(path, name)
        raise ConfigError(f"{sources.get(key, where)}: '{key}' {problem}")
    return built


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _coerce(hint: Any, value: Any, key: str, sources: Mapping[str, str], default_source: str) -> Any:
    where = sources.get(key, default_source)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)

    def wrong(expected: str) -> ConfigError:
        return ConfigError(f"{where}: '{key}' must be {expected}, got {type(value).__name__} {value!r}")

    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _coerce(inner[0], value, key, sources, default_source)
        raise wrong(" or ".join(getattr(a, "__name__", str(a)) for a in inner))
    if value is None:
        raise ConfigError(f"{where}: missing required value for '{key}' (it is null)")
    if dataclasses.is_dataclass(hint):
        return build_dataclass(hint, value, key, sources, default_source)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{where}: '{key}' must be one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin is dict:
        if not isinstance(value, Mapping):
            raise wrong("a mapping")
        key_type, value_type = args
        return {
            _coerce(key_type, k, key, sources, default_source): _coerce(
                value_type, v, _join(key, str(k)), sources, default_source
            )
            for k, v in value.items()
        }
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise wrong("a list")
        item_type = args[0] if args else Any
        items = [_coerce(item_type, v, f"{key}[{i}]", sources, default_source) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if hint is Any:
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong("an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong("a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise wrong("a string")
        return value
    if hint is dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise wrong("a date YYYY-MM-DD")
    raise ConfigError(f"{where}: '{key}' has an unsupported type {hint!r} in the settings model")
