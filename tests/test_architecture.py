"""The layers of DESIGN.md, checked on the source: imports point down, core is pure.

Every import counts, also one inside a function (a lazy import is still a
dependency). The rules:

- ``core`` imports nothing of the package outside ``core`` and does no file I/O;
- ``jobs`` imports neither ``cli`` nor ``gui``;
- ``plex``, ``tags`` and ``sources`` never import ``jobs`` (nor ``cli``, ``gui``);
- no import cycle between the top-level parts;
- Tk only in ``gui`` (and the self-checks that see whether Tk is there);
- only ``plex`` talks HTTP (the demo server answers it), only ``tags`` opens audio files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PKG = "ratings_gui"
ROOT = Path(__file__).resolve().parents[1] / PKG

#: Modules a pure layer may not import (they reach the disk, the network, processes).
IO_MODULES = frozenset(
    {"os", "io", "pathlib", "shutil", "tempfile", "sqlite3", "socket", "subprocess", "requests"}
)
#: Method names that read or write files, whatever object they are called on.
IO_METHODS = frozenset(
    {
        "open",
        "read_text",
        "write_text",
        "read_bytes",
        "write_bytes",
        "mkdir",
        "unlink",
        "iterdir",
        "glob",
        "rglob",
        "stat",
        "exists",
        "is_file",
        "is_dir",
    }
)
TK = frozenset({"tkinter", "customtkinter", "_tkinter"})
#: HTTP clients: only plex/ may use them (demo/ is the server side, for the tests).
HTTP = frozenset({"requests", "plexapi", "urllib.request", "http.client", "websocket"})
#: Outside gui: the self-check of a frozen build and the start-up check that Tk is there.
TK_ALLOWED = frozenset({"gui", "selftest", "tkcheck"})


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


MODULES = dict(_modules())


def _imports(name: str, path: Path) -> set[str]:
    """Every module this one imports (absolute names, relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            # "from ratings_gui import cli" imports the module ratings_gui.cli
            out.update(f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in MODULES)
    return out


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def part(module: str) -> str:
    """The top-level part a module belongs to: ``core``, ``jobs``, ``journal``..."""
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else "__init__"


def _ours(names: set[str]) -> set[str]:
    return {n for n in names if n == PKG or n.startswith(PKG + ".")}


def _in(layer: str) -> dict[str, set[str]]:
    return {m: IMPORTS[m] for m in MODULES if part(m) == layer}


def test_the_walk_sees_the_package() -> None:
    """A broken walk would pass every rule below: it must see each layer."""
    parts = {part(m) for m in MODULES}
    assert {"core", "plex", "tags", "sources", "jobs", "cli", "gui", "journal"} <= parts
    assert len(_in("core")) >= 6 and len(_in("jobs")) >= 6
    assert {"plex", "tags", "core"} <= _part_graph()["jobs"]  # imports are really read


def test_core_imports_nothing_of_the_package_but_core() -> None:
    bad = {
        m: sorted(n for n in _ours(imps) if part(n) != "core" or n == PKG)
        for m, imps in _in("core").items()
    }
    assert {m: b for m, b in bad.items() if b} == {}


def test_core_does_no_file_io() -> None:
    found: list[str] = []
    for m in _in("core"):
        io_imports = {n.split(".")[0] for n in IMPORTS[m]} & IO_MODULES
        found += [f"{m}: imports {n}" for n in sorted(io_imports)]
        tree = ast.parse(MODULES[m].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id == "open":
                found.append(f"{m}:{node.lineno}: open()")
            elif isinstance(f, ast.Attribute) and f.attr in IO_METHODS:
                found.append(f"{m}:{node.lineno}: .{f.attr}()")
    assert found == []


def test_jobs_import_neither_cli_nor_gui() -> None:
    bad = {
        m: sorted(n for n in _ours(imps) if part(n) in ("cli", "gui"))
        for m, imps in _in("jobs").items()
    }
    assert {m: b for m, b in bad.items() if b} == {}


@pytest.mark.parametrize("layer", ["plex", "tags", "sources"])
def test_outside_world_doors_never_import_jobs(layer: str) -> None:
    bad = {
        m: sorted(n for n in _ours(imps) if part(n) in ("jobs", "cli", "gui"))
        for m, imps in _in(layer).items()
    }
    assert {m: b for m, b in bad.items() if b} == {}


def _part_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for m, imps in IMPORTS.items():
        src = part(m)
        for n in _ours(imps):
            dst = part(n)
            if n != PKG and dst != src:
                graph.setdefault(src, set()).add(dst)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_no_import_cycle_between_top_level_parts() -> None:
    assert _cycle(_part_graph()) is None


def test_tk_only_in_the_window() -> None:
    bad = sorted(
        m
        for m, imps in IMPORTS.items()
        if {n.split(".")[0] for n in imps} & TK and part(m) not in TK_ALLOWED
    )
    assert bad == []


def _importers(names: frozenset[str]) -> dict[str, str]:
    """Module -> its top-level part, for every module importing one of ``names`` (or below)."""
    return {
        m: part(m)
        for m, imps in IMPORTS.items()
        if any(n == x or n.startswith(x + ".") for n in imps for x in names)
    }


def test_only_plex_talks_http() -> None:
    users = _importers(HTTP)
    assert "plex" in users.values()  # the rule sees the real users
    assert {m for m, p in users.items() if p not in ("plex", "demo")} == set()


def test_only_tags_opens_audio_files() -> None:
    users = _importers(frozenset({"mutagen"}))
    assert "tags" in users.values()
    assert {m for m, p in users.items() if p != "tags"} == set()


def _module_imports(name: str, path: Path) -> set[str]:
    """The package's modules one module imports; ``from pkg import sub`` is ``pkg.sub`` only
    (the package's __init__ runs, but nothing of it is used)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                base = package.split(".")
                mod = ".".join(base[: len(base) - node.level + 1] + ([mod] if mod else []))
            subs = {f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in MODULES}
            out.update(subs)
            if len(subs) < len(node.names):
                out.add(mod)
    return {n for n in _ours(out) if n in MODULES and n not in (name, PKG)}


def _module_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (a package name stands for its __init__)."""
    return {m: _module_imports(m, path) for m, path in MODULES.items()}


def test_no_import_cycle_between_modules() -> None:
    """Not only between parts: no two modules lean on each other (a hidden circle of
    function-level imports counts too; every import is in IMPORTS)."""
    assert _cycle(_module_graph()) is None


#: Function-level imports of the package's own modules that stay, each for start-up time:
#: (module, imported module) -> why.
LATE_IMPORTS = {
    ("ratings_gui.__main__", "ratings_gui.tkcheck"): "says what to install before Tk loads",
    ("ratings_gui.cli", "ratings_gui.context"): "--version and --help answer without it",
    ("ratings_gui.cli", "ratings_gui.gui.app"): "the command line never loads Tk",
    ("ratings_gui.cli", "ratings_gui.selftest"): "only --selftest loads it",
    ("ratings_gui.cli", "ratings_gui.demo.session"): "only --demo loads the demo server",
    ("ratings_gui.gui.app", "ratings_gui.demo.session"): "only --demo loads the demo server",
}


def _late_imports() -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom):
                    mod = node.module or ""
                    if node.level:
                        base = package.split(".")
                        mod = ".".join(base[: len(base) - node.level + 1] + ([mod] if mod else []))
                    subs = {f"{mod}.{a.name}" for a in node.names} & set(MODULES)
                    if subs:
                        out.update((name, sub) for sub in subs)
                    elif mod == PKG or mod.startswith(PKG + "."):
                        out.add((name, mod))
                elif isinstance(node, ast.Import):
                    out.update((name, a.name) for a in node.names if a.name.startswith(PKG))
    return out


def test_function_level_imports_only_the_named_few() -> None:
    """A lazy import of our own modules hides a dependency: only the start-up ones stay
    (and the list names no import that is gone)."""
    assert sorted(_late_imports()) == sorted(LATE_IMPORTS)


def _sizes() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(lines, where) of every function and every class of the package."""
    functions: list[tuple[int, str]] = []
    classes: list[tuple[int, str]] = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                kind = classes if isinstance(node, ast.ClassDef) else functions
                kind.append((size, f"{name}.{node.name}"))
    return functions, classes


def test_functions_and_classes_stay_small() -> None:
    """Split by what the parts do: no function over 100 lines, at most 10 over 60, no class
    over 400 (issue 21's limits)."""
    functions, classes = _sizes()
    assert [f for f in functions if f[0] > 100] == []
    assert len([f for f in functions if f[0] > 60]) <= 10, sorted(functions)[-12:]
    assert [c for c in classes if c[0] > 400] == []
