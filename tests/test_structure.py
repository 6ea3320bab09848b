"""The shape of the code: the import graph of drafting/ has no cycle, and the lower layers
(services/, export/, jobs.py) import drafting modules only at the top of the module.

An import inside a function still ties two modules together; it only hides the tie until the
function runs. So the graph here counts them too. It is read from the source with `ast`:
nothing is imported, and a failure names the file and line of each import it blames.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "drafting"
# Where every import of a drafting module belongs at the top: what a lower layer needs should
# be visible at a glance, and a loop should fail here rather than hide in a function.
TOP_LEVEL_ONLY = ("drafting/services/", "drafting/export/", "drafting/jobs.py")

HOW_TO_BREAK_A_CYCLE = """\
Modules in a cycle cannot be read, tested or changed one without the other, and an import
inside a function only hides the loop until that function runs. Break it instead:
  - move what both need down into a module that imports neither (as services/mailer.py holds
    send_mail for notifications, mail and passwords), or
  - move the caller up into a module above both (as services/reminders.py sits above
    notifications, home and planning, and drafting/worker.py above jobs.py and the services).
The README's code map says which module is the home of what."""


@dataclass(frozen=True)
class Import:
    importer: str  # "drafting.services.home"
    imported: str  # "drafting.services.planning"
    path: str  # "drafting/services/home.py", from the repository root
    line: int
    function: str | None  # the function the import is written in; None at module level
    statement: str  # as written: "from .planning import home_round_due"

    def where(self) -> str:
        inside = f", inside {self.function}()" if self.function else ""
        return f"{self.path}:{self.line}{inside}: {self.statement}"


def package_modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name), migrations left out."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, path: str, known: dict[str, Path]) -> None:
        self.module, self.path, self.known = module, path, known
        self.package = module if is_package else module.rpartition(".")[0]
        self.functions: list[str] = []
        self.found: list[Import] = []

    def _visit_function(self, node) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            # "import a.b.c" imports the deepest of a, a.b, a.b.c that is one of ours.
            parts = alias.name.split(".")
            names = [".".join(parts[:n]) for n in range(len(parts), 0, -1)]
            self._add(node, next((name for name in names if name in self.known), None))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[:len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        for alias in node.names:
            # "from . import jobs" imports the module drafting.jobs; "from .models import Job"
            # imports from drafting.models.
            submodule = f"{target}.{alias.name}"
            self._add(node, submodule if submodule in self.known else
                      target if target in self.known else None)

    def _add(self, node: ast.stmt, imported: str | None) -> None:
        if imported is None or imported == self.module:
            return
        self.found.append(Import(self.module, imported, self.path, node.lineno,
                                 ".".join(self.functions) or None, ast.unparse(node)))


def package_imports(root: Path = ROOT, package: str = PACKAGE) -> list[Import]:
    """Every import of one of the package's modules by another, at the top or in a function."""
    known = package_modules(root, package)
    found: list[Import] = []
    for module, path in known.items():
        collector = _ImportCollector(module, path.name == "__init__.py",
                                     path.relative_to(root).as_posix(), known)
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found += collector.found
    return found


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of two or more modules that each reach every other (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return groups


def shortest_path(graph: dict[str, set[str]], members: set[str], start: str, end: str) -> list[str]:
    """A shortest path [start, ..., end] that stays among `members`."""
    came_from: dict[str, str] = {start: start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == end:
            path = [end]
            while path[-1] != start:
                path.append(came_from[path[-1]])
            return path[::-1]
        for successor in sorted(graph.get(node, ())):
            if successor in members and successor not in came_from:
                came_from[successor] = node
                queue.append(successor)
    raise AssertionError(f"no path from {start} to {end} among {sorted(members)}")


def describe_cycles(found: list[Import]) -> str:
    """Each cycle of the graph as a loop a newcomer can follow, or "" when there is none."""
    graph: dict[str, set[str]] = {}
    first: dict[tuple[str, str], Import] = {}
    for item in found:
        graph.setdefault(item.importer, set()).add(item.imported)
        graph.setdefault(item.imported, set())
        first.setdefault((item.importer, item.imported), item)
    reports = []
    for group in strongly_connected(graph):
        members = set(group)
        # Through an import inside a function where there is one: most often the one to question.
        inner = [(item.importer, item.imported) for item in found if item.function is not None
                 and item.importer in members and item.imported in members]
        importer, imported = inner[0] if inner else (
            group[0], min((m for m in graph[group[0]] if m in members),
                          key=lambda m: len(shortest_path(graph, members, m, group[0]))))
        loop = [importer, *shortest_path(graph, members, imported, importer)]
        lines = [f"  {loop[0]}"]
        for importer, imported in zip(loop, loop[1:], strict=False):
            lines.append(f"    imports {imported}   ({first[importer, imported].where()})")
            lines.append(f"  {imported}")
        lines[-1] += "   (back to the start)"
        if len(group) > len(loop) - 1:
            lines.append(f"  ...and {len(group) - (len(loop) - 1)} more modules tangled in the same "
                         f"knot: {', '.join(m for m in group if m not in loop)}")
        reports.append("\n".join(lines))
    return "\n\n".join(reports)


def local_imports(found: list[Import], places: tuple[str, ...] = TOP_LEVEL_ONLY) -> list[Import]:
    """Imports of package modules written inside a function, in the given files or folders."""
    return [item for item in found
            if item.function is not None and any(
                item.path == place or (place.endswith("/") and item.path.startswith(place))
                for place in places)]


# --- drafting/ ---------------------------------------------------------------------------------


def test_the_import_graph_of_drafting_has_no_cycle():
    cycles = describe_cycles(package_imports())
    assert not cycles, (
        "drafting/ has an import cycle (imports inside functions count too):\n\n"
        f"{cycles}\n\n{HOW_TO_BREAK_A_CYCLE}")


def test_services_export_and_jobs_import_drafting_modules_only_at_the_top():
    hidden = local_imports(package_imports())
    assert not hidden, (
        "These imports of drafting modules are written inside a function; put them at the top "
        "of their module:\n\n" + "\n".join(f"  {item.where()}" for item in hidden) + "\n\n"
        "If the import at the top makes a cycle, test_the_import_graph_of_drafting_has_no_cycle "
        "names it: fix the layering rather than hiding the import. (Lazy imports stay only for "
        "heavy third-party packages such as rq and redis, with a comment why.)")


def test_the_graph_sees_the_imports_it_checks():
    """A guard for the two tests above: a reader that found nothing would pass them."""
    found = package_imports()
    pairs = {(item.importer, item.imported) for item in found}
    assert ("drafting.services.mail", "drafting.jobs") in pairs  # from ..jobs import enqueue, task
    assert ("drafting.worker", "drafting.services.documents") in pairs  # from .services import ...
    assert ("drafting.services.planning", "drafting.models") in pairs  # from ..models import ...
    # The app factory imports its blueprints inside create_app, as Flask apps do: seen as local.
    assert any(item.importer == "drafting" and item.imported == "drafting.views.api"
               and item.function == "create_app" for item in found)


# --- the checker itself, on a small package of its own --------------------------------------


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"__init__.py": "", **files}.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_loop_hidden_in_a_function_is_named_with_its_line(tmp_path):
    root = _package(tmp_path, {
        "low.py": "def helper():\n    from .high import thing\n    return thing\n",
        "high.py": "from .low import helper\n\nthing = 1\n",
        "apart.py": "from . import low\n",
    })
    found = package_imports(root, "pkg")
    report = describe_cycles(found)
    assert report == (  # from the import inside a function: the one that hid the loop
        "  pkg.low\n"
        "    imports pkg.high   (pkg/low.py:2, inside helper(): from .high import thing)\n"
        "  pkg.high\n"
        "    imports pkg.low   (pkg/high.py:1: from .low import helper)\n"
        "  pkg.low   (back to the start)")
    assert [item.where() for item in local_imports(found, ("pkg/",))] == [
        "pkg/low.py:2, inside helper(): from .high import thing"]


def test_a_knot_of_more_modules_names_one_loop_and_the_rest(tmp_path):
    root = _package(tmp_path, {
        "a.py": "from . import b\n",
        "b.py": "from . import a, c\n",
        "c.py": "import pkg.sub.d\n",
        "sub/__init__.py": "",
        "sub/d.py": "from ..b import x\n",
    })
    report = describe_cycles(package_imports(root, "pkg"))
    assert report.splitlines()[0] == "  pkg.a"
    assert report.splitlines()[-1] == ("  ...and 2 more modules tangled in the same knot: "
                                       "pkg.c, pkg.sub.d")


def test_no_cycle_and_top_level_imports_pass(tmp_path):
    root = _package(tmp_path, {
        "low.py": "import json\n\ndef helper():\n    import zipfile\n",
        "high.py": "from .low import helper\n\ndef later():\n    from . import low\n",
    })
    found = package_imports(root, "pkg")
    assert describe_cycles(found) == ""
    assert [item.where() for item in local_imports(found, ("pkg/low.py",))] == []  # stdlib only
