#!/usr/bin/env bash
# The newer-Python jobs: the whole suite, as the main job runs it, in a fresh venv of
# the newest releases on each Python newer than the main job's (3.12 and 3.13), so
# that the Pythons CONTRIBUTING.md's "Tested versions" names are the ones we test.
#
#   .ci/python_versions.sh                  # 3.12, then 3.13; each in .venv-py312, .venv-py313
#   .ci/python_versions.sh 3.13             # just one
#   PYTHON313=/path/python3.13 .ci/python_versions.sh 3.13
#   .ci/python_versions.sh 3.13 -- -x       # arguments after -- go to pytest
#
# The whole suite, not oldest.sh's fast part: a new Python breaks things the fast part
# does not run (the example scripts in their own processes, the Sphinx build with
# sphinx-gallery), and each Python adds only about as long as the main job.
#
# A Python that is not found fails the job: CI runs where pyenv has both, so a missing
# one means the machine changed, and a warning would let "tested on 3.13" go untested.
# Each venv is rebuilt (venv --clear) so that it holds the newest releases; pip's cache
# makes the rebuild a matter of a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."

versions=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do versions+=("$1"); shift; done
if [ $# -gt 0 ]; then shift; fi  # the --; what is left goes to pytest
if [ ${#versions[@]} -eq 0 ]; then versions=(3.12 3.13); fi

runs_as() {  # runs_as PYTHON VERSION: PYTHON exists and is that version
    "$1" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$2')" 2>/dev/null
}

find_python() {  # find_python 3.13: print $PYTHON313 if set, else pyenv's newest 3.13.*, else python3.13
    local version=$1 override candidate
    override=PYTHON${version//./}
    if [ -n "${!override:-}" ]; then  # set but not that version: an error, not a quiet fallback
        runs_as "${!override}" "$version" && echo "${!override}"
        return
    fi
    for candidate in $(printf '%s\n' /root/.pyenv/versions/"$version".*/bin/python \
                                     "$HOME"/.pyenv/versions/"$version".*/bin/python | sort -uV -r) \
                     "python$version"; do
        if [ -n "$candidate" ] && runs_as "$candidate" "$version"; then echo "$candidate"; return 0; fi
    done
    return 1
}

for version in "${versions[@]}"; do
    if ! python=$(find_python "$version"); then
        echo "python_versions.sh: ERROR: no Python $version found (looked for \$PYTHON${version//./}," \
             "/root/.pyenv/versions/$version.*, \$HOME/.pyenv/versions/$version.* and python$version on PATH);" \
             "install it (pyenv install $version) or point PYTHON${version//./} at one" >&2
        exit 1
    fi
    venv=.venv-py${version//./}
    echo "python_versions.sh: Python $version: $python -> $venv" >&2
    "$python" -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -e ".[test,docs]"
    "$venv/bin/python" -m pip check
    if [ -x .ci/install-browser ]; then .ci/install-browser; fi  # for tests/test_browser.py, as the main job
    "$venv/bin/python" - <<'EOF'
from importlib.metadata import version
import sys
names = "tensorflow keras scikeras scikit-learn numpy pandas joblib matplotlib mlxtend pillow dask selenium sphinx"
print(f"python_versions.sh: Python {sys.version.split()[0]};", ", ".join(f"{n} {version(n)}" for n in names.split()))
EOF
    "$venv/bin/python" -m pytest -p no:cacheprovider "$@"
done
