"""The tree's layering, read from the source: platform <- transforms <- jobs, the sample shop beside them.

- No job imports another job: logic two jobs share lives in transforms/ or the platform.
- transforms/ imports neither jobs nor the sample shop; the platform imports neither transforms nor jobs.
- The product (jobs, transforms, platform) imports nothing from the sample shop.
- Jobs name tables through the catalogue (transforms.tables), never as "layer.name" strings of their own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("jobs", "transforms", "shop_platform")
TABLE_NAME = re.compile(r"(bronze|silver|gold|truth)\.[a-z_]+")


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every module `path` imports, as dotted names (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def offending(package: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in modules(package):
        for name in sorted(imported(path)):
            top_matches = any(name == f or name.startswith(f + ".") for f in forbidden)
            if top_matches and not any(name == a or name.startswith(a + ".") for a in allowed):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_no_job_imports_another_job():
    assert offending("jobs", ("jobs",)) == []
    assert offending("sample_shop", ("jobs", "sample_shop.jobs"), allowed=()) == []


def test_transforms_import_neither_jobs_nor_the_sample_shop():
    assert offending("transforms", ("jobs", "sample_shop")) == []


def test_the_platform_imports_neither_transforms_nor_jobs():
    assert offending("shop_platform", ("transforms", "jobs", "sample_shop")) == []


@pytest.mark.parametrize("package", PRODUCT)
def test_the_product_imports_nothing_from_the_sample_shop(package):
    assert offending(package, ("sample_shop",)) == []


def test_jobs_name_tables_only_through_the_catalogue():
    found = []
    for package in ("jobs", "sample_shop/jobs"):
        for path in modules(package):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {
                id(node.body[0].value)
                for node in ast.walk(tree)
                if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
                and node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
            }
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and TABLE_NAME.fullmatch(node.value)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert found == []
