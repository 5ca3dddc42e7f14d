# Shared by the scripts: make .venv with the pinned dependencies of file $1 (quietly, only when they changed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv; then
    echo "Không tạo được môi trường ảo. Trên Debian/Ubuntu hãy cài: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
# shellcheck disable=SC1091
. .venv/bin/activate
req_file="$1"
req_stamp=".venv/.stamp-${req_file%.txt}"
want=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$req_stamp" ] || [ "$(cat "$req_stamp")" != "$want" ]; then
  echo "→ Cài các gói phụ thuộc ($req_file)…"
  python -m pip install --quiet --disable-pip-version-check --upgrade pip
  python -m pip install --quiet --disable-pip-version-check -r "$req_file"
  echo "$want" > "$req_stamp"
fi
