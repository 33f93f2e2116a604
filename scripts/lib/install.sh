# Idempotent installs from the package registries, shared by scripts/test and scripts/bench.

APT_UPDATED=
apt_install() {
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  if [ -z "$APT_UPDATED" ]; then
    "${sudo[@]}" apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Installs Debian packages that are not installed yet.
apt_ensure() {
  local missing=()
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]} (Debian packages)"
    apt_install "${missing[@]}"
  fi
}

# Installs PyPI packages (pinned in a requirements file) unless they are all present.
pip_ensure() {
  local requirements=$1
  if ! python3 - "$requirements" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split('#')[0].strip()
    if not line:
        continue
    name, _, wanted = line.partition('==')
    name = name.split('[')[0]
    if wanted and version(name) != wanted:
        sys.exit(1)
    version(name)
PY
  then
    echo "== installing $(grep -v '^#' "$requirements" | tr '\n' ' ')(PyPI)"
    python3 -m pip install -q --disable-pip-version-check -r "$requirements"
  fi
}

# Runs `npm ci` in a folder when its node_modules is missing or older than its lock file.
npm_ensure() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    echo "== installing npm packages in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$dir/node_modules"
  fi
}
