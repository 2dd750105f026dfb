#!/usr/bin/env bash
# The PyPI wheel works: build it with maturin (from PyPI, pinned), install it into a fresh
# virtualenv in a temp dir, and run `warden --version` and a `warden check` from there.
#
# The wheel is built with the dev profile: this step checks the packaging (the binary is
# in the wheel, on the venv's PATH, and runs), not the optimiser; the dev profile reuses
# what `cargo test` already compiled, where the release profile (thin LTO, one codegen
# unit) would cost minutes of CPU more. .github/workflows/release.yml builds the
# published wheels with the release profile. WARDEN_WHEEL_PROFILE=release overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

MATURIN="maturin==1.16.0"
profile="${WARDEN_WHEEL_PROFILE:-dev}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== installing $MATURIN"
python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet --disable-pip-version-check "$MATURIN"

echo "== maturin build --profile $profile"
"$work/tools/bin/maturin" build --locked --profile "$profile" --out "$work/wheels" --quiet
wheel=$(ls "$work"/wheels/repo_warden-*.whl)
echo "   $(basename "$wheel") ($(wc -c <"$wheel" | tr -d ' ') bytes)"

echo "== a fresh venv: pip install the wheel, warden --version, warden check"
start=$(date +%s.%N)
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
version=$("$work/venv/bin/warden" --version)
expected="warden $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
if [ "$version" != "$expected" ]; then
  echo "wheel-check: the wheel's warden says \`$version\`, expected \`$expected\`" >&2
  exit 1
fi
# A check of a scratch repository: exit 1 (a deny gap: no README, secrets file) proves
# the rules ran; 0 or 2 would mean they did not.
repo="$work/repo"
mkdir -p "$repo"
git -C "$repo" init --quiet
printf 'TOKEN=x\n' >"$repo/.env"
git -C "$repo" add .env
status=0
"$work/venv/bin/warden" check --policy builtin:default --format json --offline "$repo" >"$work/report.json" || status=$?
end=$(date +%s.%N)
if [ "$status" != 1 ] || ! grep -q '"version": 1' "$work/report.json"; then
  echo "wheel-check: warden check from the wheel exited $status (expected 1: the .env gap)" >&2
  cat "$work/report.json" >&2
  exit 1
fi
echo "   $version; check exit $status as expected"
echo "   fresh venv to first check: $(python3 -c "print(round($end - $start, 2))") s"
echo "wheel-check: ok ($root)"
