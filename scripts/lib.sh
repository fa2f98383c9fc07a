# SPDX-License-Identifier: BSL-1.0
# Sourced by the scripts in scripts/: moves to the repository root, installs
# what is missing (scripts/bootstrap) and defines the steps they share.
# Every build is configured from a preset of CMakePresets.json (default,
# asan, tsan, fuzz, bench, soak) by trap_configure.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
source scripts/bootstrap

# Configures preset $1 into its own build directory (build/, build-asan/,
# ...; a -B DIR among the other arguments moves it), compiling through ccache
# when ccache is installed. The other arguments go to cmake as they are.
trap_configure() {
  local args=(--preset "$1")
  shift
  if command -v ccache >/dev/null 2>&1; then
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake "${args[@]}" "$@"
}

# Makes sure clang++ is there (the sanitizer and fuzz presets need it):
# installs it as root, otherwise fails naming $1, what needs it.
trap_need_clang() {
  if command -v clang++ >/dev/null 2>&1; then
    return 0
  fi
  if [[ $(id -u) == 0 ]]; then
    apt-get install -y -q clang >/dev/null
  else
    echo "$(basename "$0"): clang++ is needed for $1" >&2
    exit 1
  fi
}
