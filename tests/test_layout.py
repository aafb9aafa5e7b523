"""The package's layout stays navigable: few top-level modules, no import cycles, a README example that runs."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "skdigits"


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """The skdigits modules that ``path`` imports, at its top or inside a function (a deferred import is
    still a dependency: the manifest/optimizers cycle was one)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("skdigits")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + [base]).strip(".")
            if base.startswith("skdigits"):
                found |= {f"{base}.{alias.name}" for alias in node.names} | {base}
    return found


def test_at_most_15_modules_sit_at_the_top_of_the_package():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 15, f"{len(top)} modules at the top of skdigits/: {top}; give new ones a subpackage"


def test_no_module_of_the_package_is_in_an_import_cycle():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    # A module's own packages are imported before it, always: an edge to them is no cycle of ours.
    graph = {name: {m for m in _imports(path) if m in modules and m != name and
                    not name.startswith(m + ".")}
             for name, path in modules.items()}
    # Tarjan's strongly connected components: any with more than one module is a cycle.
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert not cycles, f"modules that import each other: {cycles}"


def test_the_readmes_first_python_example_runs_as_pasted(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    done = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    accuracy = float(done.stdout.split()[-1])
    assert 0.8 < accuracy <= 1.0, done.stdout  # 5 epochs on 3,750 real digits: it learned
