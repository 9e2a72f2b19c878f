#!/usr/bin/env bash
# Checks that the Debian packages the tests drive (.ci/packages) are installed.
#   check-packages.sh          prints one line naming the missing ones and exits 1 (Maven runs this before tests)
#   check-packages.sh --list   prints the missing ones, one per line, and exits 0 (./test installs them)
# On a machine without dpkg there is nothing to check against: exit 0.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v dpkg-query >/dev/null || exit 0
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/.ci/packages")
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ "${1:-}" = "--list" ]; then
    printf '%s\n' "${missing[@]}"
    exit 0
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "Missing Debian packages the tests need: ${missing[*]}. Run ./test (it installs them when run as root), or: apt-get install ${missing[*]}" >&2
    exit 1
fi
