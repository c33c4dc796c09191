#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run every test.
#   bash scripts/test.sh [pytest args]
# Creates .venv, installs gradviz with its test extras, builds the front end, installs Debian's
# Chromium for the browser tests when it is missing (as root), runs the front-end unit tests,
# then pytest (engine, corpus, report and widget in a real JupyterLab, notebook).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! [ -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

echo "== python environment (.venv)"
[ -d .venv ] || python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip

echo "== front end (npm ci, types.ts current with gradviz/schema.py, build, typecheck, unit tests)"
npm ci --no-audit --no-fund --loglevel=error
python scripts/gen_types.py --check
npm run build
npm run typecheck
npm test

echo "== gradviz and its test dependencies"
pip install -q -e ".[test]"

echo "== lint (ruff)"
ruff check gradviz tests benchmarks scripts
ruff format --check gradviz

echo "== pytest"
export TF_CPP_MIN_LOG_LEVEL=3
python -m pytest -q -p no:cacheprovider "$@"

# The oldest TensorFlow the `tf` extra allows, in a venv of its own: the capture tests, the private
# TensorFlow names the hooks rely on, and the cause corpus. GRADVIZ_TF_OLDEST=0 skips it.
if [ "${GRADVIZ_TF_OLDEST:-1}" != 0 ]; then
  echo "== the oldest supported TensorFlow (.venv-tf-oldest, tensorflow 2.16)"
  deactivate
  [ -d .venv-tf-oldest ] || python3 -m venv .venv-tf-oldest
  .venv-tf-oldest/bin/python -m pip install -q --upgrade pip
  .venv-tf-oldest/bin/python -m pip install -q -e ".[tf]" "tensorflow==2.16.*" "pytest>=8"
  .venv-tf-oldest/bin/python -m pytest -q -p no:cacheprovider \
    tests/test_capture.py tests/test_private_apis.py tests/test_corpus.py
fi
