#!/usr/bin/env bash
# The oldest-version job: the fast part of the suite in .venv-oldest, a venv of the
# oldest Python that pyproject.toml claims, with every dependency pinned to its
# floor by .ci/constraints-oldest.txt.
#
#   .ci/oldest.sh                    # build (or reuse) .venv-oldest, then test
#   OLDEST_PYTHON=/path/python3.10 .ci/oldest.sh
#   OLDEST_VENV=/elsewhere .ci/oldest.sh
#
# The fast part is the whole suite but tests/test_examples.py, which runs every
# example script in its own process (a tenth of the suite's time; the examples
# call only public functions that the other tests cover). tests/test_docs.py
# skips itself: the docs tools are not installed here (no [docs] extra), so the
# Sphinx build and numpydoc are tested at their newest versions only.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(python3 .ci/check_floors.py --python)  # e.g. 3.10
venv=${OLDEST_VENV:-.venv-oldest}

runs_as() {  # runs_as PYTHON VERSION: PYTHON exists and is that version
    "$1" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$2')" 2>/dev/null
}
python=""
for candidate in "${OLDEST_PYTHON:-}" "/root/.pyenv/versions/3.10.13/bin/python" \
                 "$HOME"/.pyenv/versions/"$want".*/bin/python "python$want"; do
    if [ -n "$candidate" ] && runs_as "$candidate" "$want"; then python=$candidate; break; fi
done
if [ -z "$python" ]; then
    python=python3
    echo "oldest.sh: WARNING: no Python $want found (set OLDEST_PYTHON); testing the oldest" \
         "dependencies on $(python3 --version) instead, so the requires-python claim is NOT tested" >&2
fi

if [ ! -x "$venv/bin/python" ] || ! runs_as "$venv/bin/python" "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"; then
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -c .ci/constraints-oldest.txt -e ".[test]"
"$venv/bin/python" -m pip check
"$venv/bin/python" - <<'EOF'
from importlib.metadata import version
import sys
names = "tensorflow keras scikeras scikit-learn numpy pandas joblib matplotlib mlxtend pillow dask tf2onnx onnx onnxruntime selenium"
print(f"oldest.sh: Python {sys.version.split()[0]};", ", ".join(f"{n} {version(n)}" for n in names.split()))
EOF
"$venv/bin/python" -m pytest -p no:cacheprovider --ignore=tests/test_examples.py "$@"
