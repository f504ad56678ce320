"""The architecture, read from the source: dependencies run one way (clinic <- intake <-
treatments <- followups), the pure rule modules import no Django, and no two modules import
each other (directly or round a longer circle).

Every module of the four packages is parsed with ``ast`` (subfolders included, migrations too);
an import anywhere in a module counts, at the top or inside a function.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("clinic", "intake", "treatments", "followups")

# What each package must not import: everything above it.
FORBIDDEN = {
    "clinic": {"intake", "treatments", "followups"},
    "intake": {"treatments", "followups"},
    "treatments": {"followups"},
    "followups": set(),
}

# Clinical and scheduling rules as plain functions and tables: no Django, so every case can be
# tested exhaustively without a database.
PURE_RULE_MODULES = (
    "intake/scoring.py",
    "intake/units.py",
    "intake/medications.py",
    "intake/contact.py",
    "treatments/dosing.py",
    "treatments/screening_rules.py",
    "treatments/booking_rules.py",
    "treatments/session_rules.py",
    "treatments/ledger_rules.py",
    "followups/timing_rules.py",
    "followups/outcomes.py",
)
# Left off on purpose: treatments/limits.py is the one place the rules' thresholds are read from
# settings (it imports django.conf and hands the pure modules typed values); the rules themselves
# stay pure.


def modules() -> Iterator[Path]:
    for app in APPS:
        yield from sorted((ROOT / app).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in the file; ``from . import x`` yields
    the package and the package's ``x`` (x may be a module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_one_above_it(app):
    wrong = [
        f"{where(path, line)} imports {name}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for line, name in imported(path)
        if name.split(".")[0] in FORBIDDEN[app]
    ]
    assert wrong == []


@pytest.mark.parametrize("module", PURE_RULE_MODULES)
def test_the_rule_modules_import_no_django(module):
    path = ROOT / module
    wrong = [
        f"{where(path, line)} imports {name}"
        for line, name in imported(path)
        if name.split(".")[0] == "django"
        # a project module that is not itself on the list would bring Django in with it
        or (name.split(".")[0] in APPS and not _is_pure(name))
    ]
    assert wrong == []


def _is_pure(name: str) -> bool:
    pure = {module.removesuffix(".py").replace("/", ".") for module in PURE_RULE_MODULES}
    parts = name.split(".")
    # "treatments.dosing.Route" is the module treatments.dosing and a name in it
    return any(".".join(parts[:size]) in pure for size in range(1, len(parts) + 1))


def test_no_import_circle_between_modules():
    """Imports inside functions count too: one there must not hide a circle (the few left run
    after start-up, in AppConfig.ready or a post_migrate handler, and say why where they
    stand)."""
    names = {module_name(path): path for path in modules()}
    graph = {
        name: {
            target
            for _, imported_name in imported(path)
            if (target := _known(imported_name, names)) and target != name
        }
        for name, path in names.items()
    }
    circles = _cycles(graph)
    assert circles == []


def _known(name: str, names: dict[str, Path]) -> str | None:
    """The project module an import refers to (``pkg.module.name`` -> ``pkg.module``)."""
    parts = name.split(".")
    for size in range(len(parts), 0, -1):
        candidate = ".".join(parts[:size])
        if candidate in names:
            return candidate
    return None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted. A package
    importing its own submodules (``from . import x`` in ``__init__``) is not a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if _package_and_child(node, target):
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _package_and_child(a: str, b: str) -> bool:
    # Importing a submodule imports its package first: that edge is how Python loads it.
    return b.startswith(a + ".") or a.startswith(b + ".")
