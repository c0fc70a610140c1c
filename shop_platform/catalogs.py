"""The declarative catalogs under conf/: the tag catalog (a taxonomy of categories and sub-categories and
the tags defined in it), read into frozen dataclasses and checked before any Spark work.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from shop_platform.config import AUDIENCES_FILE_NAME, CONF_DIR, TAGS_FILE_NAME, ConfigError, build_dataclass

TAGS_FILE = CONF_DIR / TAGS_FILE_NAME

Kind = Literal["static", "dynamic", "interest", "scenario", "predicted"]
ValueType = Literal["boolean", "enum", "number", "list"]
Refresh = Literal["daily"]
# Tag ids are column names in gold.user_profile and names in audience rules.
TAG_ID = re.compile(r"[a-z][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class Category:
    """A top-level group of tags (e.g. activity) with its sub-categories' ids."""

    id: str
    name_zh: str
    name_en: str
    subcategories: tuple[str, ...]


@dataclass(frozen=True)
class Tag:
    """One tag: what it means, what values it takes and how it is computed.

    Exactly one of `expression` (Spark SQL over the user features and the registration profile) and
    `builtin` (a named computation such as the RFM segment) defines the value. `values` lists an enum's
    allowed values; a list tag's elements are free (e.g. category names).
    """

    id: str
    name_zh: str
    name_en: str
    description: str
    category: str
    subcategory: str
    kind: Kind
    value_type: ValueType
    owner: str
    expression: str | None = None
    builtin: str | None = None
    values: tuple[str, ...] = ()
    window_days: int | None = None
    refresh: Refresh = "daily"


@dataclass(frozen=True)
class TagCatalog:
    categories: tuple[Category, ...]
    tags: tuple[Tag, ...]

    def tag(self, tag_id: str) -> Tag:
        for tag in self.tags:
            if tag.id == tag_id:
                return tag
        raise KeyError(f"no tag {tag_id!r} in the catalog")

    @property
    def by_id(self) -> Mapping[str, Tag]:
        return {tag.id: tag for tag in self.tags}


def catalog_problems(catalog: TagCatalog, builtins: Collection[str]) -> list[str]:
    """Every structural problem of the catalog, each naming its tag or category (empty when sound).

    Expressions are checked against the features' columns separately (transforms.tags.evaluate), since
    that needs Spark's parser.
    """
    problems: list[str] = []
    subcategories: dict[str, set[str]] = {}
    for category in catalog.categories:
        if category.id in subcategories:
            problems.append(f"category {category.id!r} is defined twice")
        subcategories[category.id] = set(category.subcategories)
    seen: set[str] = set()
    for tag in catalog.tags:
        where = f"tag {tag.id!r}"
        if not TAG_ID.fullmatch(tag.id):
            problems.append(f"{where}: ids are lower-case letters, digits and _ starting with a letter")
        if tag.id in seen:
            problems.append(f"{where} is defined twice")
        seen.add(tag.id)
        if tag.category not in subcategories:
            known = ", ".join(sorted(subcategories))
            problems.append(f"{where}: category {tag.category!r} does not exist (categories: {known})")
        elif tag.subcategory not in subcategories[tag.category]:
            known = ", ".join(sorted(subcategories[tag.category]))
            problems.append(
                f"{where}: sub-category {tag.subcategory!r} is not in category {tag.category!r} ({known})"
            )
        if (tag.expression is None) == (tag.builtin is None):
            problems.append(f"{where}: give exactly one of expression and builtin")
        if tag.builtin is not None and tag.builtin not in builtins:
            problems.append(
                f"{where}: unknown builtin {tag.builtin!r} (builtins: {', '.join(sorted(builtins))})"
            )
        if tag.value_type == "enum" and not tag.values:
            problems.append(f"{where}: an enum tag needs its allowed values")
        if tag.value_type != "enum" and tag.values:
            problems.append(f"{where}: only enum tags list values (this one is {tag.value_type})")
        if len(set(tag.values)) != len(tag.values):
            problems.append(f"{where}: values are listed twice")
        if tag.window_days is not None and tag.window_days <= 0:
            problems.append(f"{where}: window_days must be positive")
        if not tag.name_zh.strip() or not tag.name_en.strip():
            problems.append(f"{where}: needs both a Chinese and an English name")
    return problems


class CatalogError(ConfigError):
    """The tag catalog (or an audience file) is not sound; the message names every tag at fault."""


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: top level must be a mapping")
    return data


def load_tag_catalog(builtins: Collection[str], path: Path | str = TAGS_FILE) -> TagCatalog:
    """The tag catalog at `path`, checked before any Spark work.

    Raises:
        CatalogError: listing every problem, each naming its tag (unknown key or wrong type, duplicate
            id, missing category, enum without values, unknown builtin, ...).
    """
    path = Path(path)
    data = read_yaml_mapping(path)
    unknown = sorted(set(data) - {"categories", "tags"})
    if unknown:
        raise CatalogError(f"{path}: unknown top-level key {unknown[0]!r} (known: categories, tags)")
    source = str(path)
    try:
        categories = tuple(
            build_dataclass(Category, entry, f"categories.{_id(entry, i)}", {}, source)
            for i, entry in enumerate(data.get("categories") or [])
        )
        tags = tuple(
            build_dataclass(Tag, entry, f"tags.{_id(entry, i)}", {}, source)
            for i, entry in enumerate(data.get("tags") or [])
        )
    except ConfigError as exc:
        raise CatalogError(str(exc)) from exc
    catalog = TagCatalog(categories=categories, tags=tags)
    problems = catalog_problems(catalog, builtins)
    if problems:
        raise CatalogError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return catalog


def _id(entry: Any, position: int) -> str:
    """How an entry is named in messages: its id, or its position when it has none."""
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        return entry["id"]
    return f"[{position}]"


AUDIENCES_FILE = CONF_DIR / AUDIENCES_FILE_NAME


@dataclass(frozen=True)
class Audience:
    """A rule-based audience: a boolean rule over catalog tags (grammar: transforms.audiences.grammar)."""

    id: str
    name_zh: str
    name_en: str
    description: str
    rule: str
    owner: str


def load_audiences(path: Path | str = AUDIENCES_FILE) -> tuple[Audience, ...]:
    """The audiences at `path`; ids must be unique tag-like names. Rules are checked against the tag
    catalog by the audience job, before Spark starts."""
    path = Path(path)
    data = read_yaml_mapping(path)
    unknown = sorted(set(data) - {"audiences"})
    if unknown:
        raise CatalogError(f"{path}: unknown top-level key {unknown[0]!r} (known: audiences)")
    try:
        audiences = tuple(
            build_dataclass(Audience, entry, f"audiences.{_id(entry, i)}", {}, str(path))
            for i, entry in enumerate(data.get("audiences") or [])
        )
    except ConfigError as exc:
        raise CatalogError(str(exc)) from exc
    problems = []
    seen: set[str] = set()
    for audience in audiences:
        if not TAG_ID.fullmatch(audience.id):
            problems.append(f"audience {audience.id!r}: ids are lower-case letters, digits and _")
        if audience.id in seen:
            problems.append(f"audience {audience.id!r} is defined twice")
        seen.add(audience.id)
    if problems:
        raise CatalogError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return audiences
