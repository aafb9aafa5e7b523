"""The versions we claim are the versions we test: pyproject's floors against .ci/constraints-oldest.txt.

    python .ci/check_floors.py            # exit 1, naming each mismatch, unless every floor is pinned exactly
    python .ci/check_floors.py --python   # print requires-python's floor (e.g. 3.10), for .ci/oldest.sh

Every ``name>=X`` in ``[project] dependencies`` and in the ``distributed`` and ``export`` extras
must be pinned ``name==X`` in the constraints file (3.5 and 3.5.0 are the same
version). A pin of a test tool (selenium) must equal its floor in the test
extra too; unpinned tools (pytest, ruff) run at their newest. The file may pin
packages pyproject does not name (distributed): those are not claims.
"""

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10; .ci/run runs this with the main venv's newer Python
    sys.exit("check_floors.py needs Python 3.11 or newer (tomllib)")

ROOT = Path(__file__).resolve().parents[1]
REQUIRED_EXTRAS = ("distributed", "export")  # users' claims, like the dependencies: each floor must be pinned


def _name(text):
    return re.sub(r"[-_.]+", "-", text).lower()


def _release(version):
    parts = [int(p) for p in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def floors(specs):
    """``{name: floor}`` of ``name>=floor`` specs (``dask[distributed]`` is dask; ``skdigits[...]`` is skipped)."""
    found = {}
    for spec in specs:
        # A floor may be followed by exclusions of broken releases (",!=X"): they are not claims.
        match = re.fullmatch(
            r"\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(>=\s*([0-9][0-9.]*)(\s*,\s*!=\s*[0-9][0-9.]*)*)?\s*", spec)
        if match is None or (match.group(3) is None and _name(match.group(1)) != "skdigits"):
            sys.exit(f"pyproject.toml: {spec!r} is not of the form name>=X.Y; give every dependency a floor")
        if match.group(3):
            found[_name(match.group(1))] = match.group(4)
    return found


def pins(path):
    """``{name: version}`` of the ``name==version`` lines of a constraints file."""
    found = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*==\s*([0-9][0-9.]*)", line)
        if match is None:
            sys.exit(f"{path}:{number}: {line!r} is not an exact pin name==X.Y.Z")
        found[_name(match.group(1))] = match.group(2)
    return found


def main():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    if sys.argv[1:] == ["--python"]:
        match = re.fullmatch(r">=\s*(3\.[0-9]+)", project["requires-python"].strip())
        if match is None:
            sys.exit(f"pyproject.toml: requires-python {project['requires-python']!r} is not of the form >=3.N")
        print(match.group(1))
        return
    constraints = ROOT / ".ci" / "constraints-oldest.txt"
    pinned = pins(constraints)
    extras = project["optional-dependencies"]
    claimed = floors(project["dependencies"] + [s for e in REQUIRED_EXTRAS for s in extras[e]])
    tools = floors([s for e in extras if e not in REQUIRED_EXTRAS for s in extras[e]])
    problems = [f"{name}>={floor} is claimed but not pinned in {constraints.name}"
                for name, floor in claimed.items() if name not in pinned]
    for name, floor in {**tools, **claimed}.items():
        if name in pinned and _release(pinned[name]) != _release(floor):
            problems.append(f"{name}>={floor} is claimed but {constraints.name} tests {name}=={pinned[name]}")
    if problems:
        sys.exit("The oldest-version job does not test what pyproject.toml claims:\n  " + "\n  ".join(problems))
    checked = len(claimed) + len(set(tools) & set(pinned) - set(claimed))
    print(f"check_floors: {constraints.name} pins {checked} of pyproject.toml's floors exactly, as claimed")


if __name__ == "__main__":
    main()
