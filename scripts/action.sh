#!/usr/bin/env bash
# The shell logic of the warden GitHub Action (action.yml), kept here so that it can be
# tested (tests/it/action_script.rs) and linted (scripts/lint-actions.sh). action.yml only
# calls this script, handing it the inputs as environment variables — never as `${{ }}`
# text inside `run:`, which would let an input inject shell code.
#
#   action.sh target [OS ARCH]   print the Rust target triple of the runner (RUNNER_OS,
#                                RUNNER_ARCH) or of OS ARCH; exit 1 if no binary is built for it
#   action.sh asset [TARGET]     print the release asset name for TARGET (default: the runner's)
#   action.sh install            install warden: the release binary, checksum-verified, else
#                                `cargo install` from the action's own source
#   action.sh run                run warden in the chosen mode and publish its results
#
# Documented in docs/action.md. Environment (the action sets these from its inputs):
#
#   install: WARDEN_INSTALL (auto|release|source), WARDEN_VERSION, WARDEN_ACTION_REPOSITORY,
#            WARDEN_ACTION_REF, WARDEN_DOWNLOAD_BASE (default
#            $GITHUB_SERVER_URL/OWNER/NAME/releases/download), WARDEN_INSTALL_DIR,
#            WARDEN_TOKEN (optional: lists releases to resolve @v1 via $GITHUB_API_URL)
#   run:     WARDEN_MODE (auto|check|pr|sweep), WARDEN_POLICY, WARDEN_PATH, WARDEN_FORMAT,
#            WARDEN_COMMENT, WARDEN_FAIL_ON, WARDEN_OUTPUT, WARDEN_TOKEN, WARDEN_BIN
#   runner:  RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
#            GITHUB_PATH, GITHUB_ACTION_PATH, GITHUB_EVENT_NAME, GITHUB_SERVER_URL, ...
set -euo pipefail

# --------------------------------------------------------------------------- helpers

# An error: an annotation on the run (inside Actions) and a plain line on stderr.
error() {
  if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
    printf '::error title=warden action::%s\n' "$(escape_data "$*")"
  fi
  printf 'warden action: error: %s\n' "$*" >&2
}

warning() {
  if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
    printf '::warning title=warden action::%s\n' "$(escape_data "$*")"
  fi
  printf 'warden action: warning: %s\n' "$*" >&2
}

note() {
  printf 'warden action: %s\n' "$*" >&2
}

# Workflow-command data escaping, as the runner expects (% CR LF).
escape_data() {
  local s=$1
  s=${s//'%'/'%25'}
  s=${s//$'\r'/'%0D'}
  s=${s//$'\n'/'%0A'}
  printf '%s' "$s"
}

die() {
  error "$1"
  exit "${2:-1}"
}

temp_root() {
  local dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
  mkdir -p "$dir"
  printf '%s' "$dir"
}

# Append `key=value` to $GITHUB_OUTPUT (values here never hold a line break).
set_output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

file_size() {
  if [ -n "${1:-}" ] && [ -f "$1" ]; then
    wc -c <"$1" | tr -d ' '
  else
    echo 0
  fi
}

# The lines of a multi-line input, trimmed, without blank lines and `#` comments.
input_lines() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    case "$line" in
      '' | '#'*) ;;
      *) printf '%s\n' "$line" ;;
    esac
  done <<<"${1:-}"
}

# ------------------------------------------------------------------ platform mapping

# RUNNER_OS / RUNNER_ARCH (Linux|macOS|Windows, X64|ARM64|...) -> Rust target triple.
# These are the targets .github/workflows/release.yml builds. Linux binaries are static
# (musl): they run on any distribution and C library, self-hosted runners included.
target_for() {
  local os=$1 arch=$2
  case "$os/$arch" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) return 1 ;;
  esac
}

SUPPORTED_RUNNERS="Linux/X64, Linux/ARM64, macOS/X64, macOS/ARM64, Windows/X64"

# The runner's OS and architecture, from RUNNER_OS/RUNNER_ARCH, else from uname (local use).
runner_os() {
  if [ -n "${RUNNER_OS:-}" ]; then
    echo "$RUNNER_OS"
    return
  fi
  case "$(uname -s)" in
    Linux) echo Linux ;;
    Darwin) echo macOS ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) echo Windows ;;
    *) uname -s ;;
  esac
}

runner_arch() {
  if [ -n "${RUNNER_ARCH:-}" ]; then
    echo "$RUNNER_ARCH"
    return
  fi
  case "$(uname -m)" in
    x86_64 | amd64) echo X64 ;;
    aarch64 | arm64) echo ARM64 ;;
    *) uname -m ;;
  esac
}

cmd_target() {
  local os arch
  os=${1:-$(runner_os)}
  arch=${2:-$(runner_arch)}
  if ! target_for "$os" "$arch"; then
    die "no prebuilt warden for runner $os/$arch (supported: $SUPPORTED_RUNNERS); \`install: auto\` builds it from source with cargo there"
  fi
}

asset_for() {
  case "$1" in
    *-windows-*) echo "warden-$1.zip" ;;
    *) echo "warden-$1.tar.gz" ;;
  esac
}

cmd_asset() {
  local target
  target=${1:-$(cmd_target)}
  asset_for "$target"
}

exe_suffix() {
  case "$1" in
    *-windows-*) echo .exe ;;
    *) echo "" ;;
  esac
}

# ------------------------------------------------------------------------- download

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{print $1}'
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | awk '{print $1}'
  else
    die "neither sha256sum nor shasum is installed: cannot verify the download"
  fi
}

# http_get URL FILE: prints the HTTP status (000 when there was no answer).
http_get() {
  local code
  code=$(curl --silent --show-error --location --proto '=https,http' --proto-redir '=https' \
    --connect-timeout 10 --max-time 300 --retry 3 --retry-delay 2 \
    --user-agent warden-action --output "$2" --write-out '%{http_code}' "$1") || code=${code:-000}
  printf '%s' "${code:-000}"
}

# ------------------------------------------------------------- moving tags (@v1)

# A moving major (v1) or minor (v1.2) tag: it has no release of its own; the newest
# published vX.Y.Z under it is installed.
is_moving_tag() {
  [[ "$1" =~ ^v[0-9]+(\.[0-9]+)?$ ]]
}

# The tags of the published releases (not drafts, not prereleases) in a JSON answer of
# GET /repos/OWNER/NAME/releases, one a line. No jq: each release object has `tag_name`,
# `draft` and `prerelease` (in any order); a key inside a string value is preceded by a
# backslash (\"draft\"), so it never matches.
release_tags() {
  tr -d '\r\n' <"$1" |
    grep -oE '(^|[^\\])"(tag_name|draft|prerelease)"[[:space:]]*:[[:space:]]*("[^"]*"|true|false)' |
    sed -E 's/^[^"]*"([a-z_]+)"[[:space:]]*:[[:space:]]*"?([^"]*)"?$/\1 \2/' |
    awk '{ value[$1] = $2; seen[$1] = 1 }
      seen["tag_name"] && seen["draft"] && seen["prerelease"] {
        if (value["draft"] == "false" && value["prerelease"] == "false") print value["tag_name"]
        split("", seen)
      }'
}

# newest_under PREFIX: of the tags on stdin, the highest vPREFIX.N(.N) by number.
newest_under() {
  local prefix=${1#v} pattern
  if [[ "$prefix" == *.* ]]; then
    pattern="^v${prefix//./\\.}\\.[0-9]+$"
  else
    pattern="^v${prefix}\\.[0-9]+\\.[0-9]+$"
  fi
  { grep -E "$pattern" || true; } | sed 's/^v//' | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1 |
    sed 's/^./v&/'
}

# resolve_moving_tag REPO TAG: print the newest release under TAG (v1 -> v1.4.2), from
# the releases API (the newest 100 releases). 3: none found or no answer.
resolve_moving_tag() {
  local repo=$1 tag=$2 api url work code newest
  api="${GITHUB_API_URL:-https://api.github.com}"
  url="${api%/}/repos/$repo/releases?per_page=100"
  work=$(mktemp -d "$(temp_root)/warden-releases.XXXXXX")
  local auth=()
  if [ -n "${WARDEN_TOKEN:-}" ]; then
    # From a file, so that the token is not in curl's command line (visible in ps).
    (umask 077 && printf 'Authorization: Bearer %s\n' "$WARDEN_TOKEN" >"$work/auth")
    auth=(--header "@$work/auth")
  fi
  command -v curl >/dev/null 2>&1 || {
    rm -rf "$work"
    warning "curl is not installed: cannot list the releases of $repo"
    return 3
  }
  note "looking up the newest release under $tag: $url"
  code=$(curl --silent --show-error --location --proto '=https,http' --proto-redir '=https' \
    --connect-timeout 10 --max-time 60 --retry 3 --retry-delay 2 \
    --user-agent warden-action --header 'Accept: application/vnd.github+json' \
    "${auth[@]}" --output "$work/releases.json" --write-out '%{http_code}' "$url") || code=${code:-000}
  if [ "${code:-000}" != 200 ]; then
    rm -rf "$work"
    warning "could not list the releases of $repo (HTTP ${code:-000})"
    return 3
  fi
  newest=$(release_tags "$work/releases.json" | newest_under "$tag")
  rm -rf "$work"
  if [ -z "$newest" ]; then
    warning "$repo has no published release under $tag (${tag}.x.y)"
    return 3
  fi
  printf '%s' "$newest"
}

# download_release TARGET VERSION REPO DEST_DIR
#   0: the verified binary is installed in DEST_DIR
#   3: no such release asset (or no answer): the caller may build from source
#   exits 1 on a checksum that does not verify or a broken archive: never falls back then.
download_release() {
  local target=$1 version=$2 repo=$3 dest=$4
  local asset base url_dir work code expected named actual
  asset=$(asset_for "$target")
  base="${WARDEN_DOWNLOAD_BASE:-${GITHUB_SERVER_URL:-https://github.com}/$repo/releases/download}"
  base="${base%/}"
  if [ "$version" = latest ]; then
    url_dir="${base%/download}/latest/download"
  else
    url_dir="$base/$version"
  fi
  command -v curl >/dev/null 2>&1 || {
    warning "curl is not installed: cannot download $asset"
    return 3
  }
  work=$(mktemp -d "$(temp_root)/warden-download.XXXXXX")

  note "downloading $url_dir/$asset"
  code=$(http_get "$url_dir/$asset" "$work/$asset")
  case "$code" in
    200) ;;
    404)
      note "no release asset $asset for $version (HTTP 404)"
      return 3
      ;;
    *)
      warning "could not download $url_dir/$asset (HTTP $code)"
      return 3
      ;;
  esac

  code=$(http_get "$url_dir/$asset.sha256" "$work/$asset.sha256")
  if [ "$code" != 200 ]; then
    die "the release has $asset but its checksum $asset.sha256 could not be downloaded (HTTP $code): refusing to install an unverified binary"
  fi
  expected=$(awk 'NR == 1 {print tolower($1)}' "$work/$asset.sha256" | tr -d '\r')
  named=$(awk 'NR == 1 {print $2}' "$work/$asset.sha256" | tr -d '\r')
  named=${named#\*}
  if ! [[ "$expected" =~ ^[0-9a-f]{64}$ ]]; then
    die "$asset.sha256 does not hold a SHA-256 checksum: refusing to install an unverified binary"
  fi
  if [ -n "$named" ] && [ "$named" != "$asset" ]; then
    die "$asset.sha256 is the checksum of $named, not of $asset: refusing to install"
  fi
  actual=$(sha256_of "$work/$asset")
  if [ "$actual" != "$expected" ]; then
    die "checksum mismatch for $asset: expected $expected, got $actual — refusing to install it"
  fi
  note "checksum verified: sha256 $actual"

  mkdir -p "$work/x"
  case "$asset" in
    *.zip)
      if command -v unzip >/dev/null 2>&1; then
        unzip -q -o "$work/$asset" -d "$work/x"
      elif command -v 7z >/dev/null 2>&1; then
        7z x -y -o"$work/x" "$work/$asset" >/dev/null
      else
        powershell -NoProfile -Command "Expand-Archive -LiteralPath '$work/$asset' -DestinationPath '$work/x' -Force"
      fi || die "cannot unpack $asset"
      ;;
    *) tar -xzf "$work/$asset" -C "$work/x" || die "cannot unpack $asset" ;;
  esac

  local exe found
  exe="warden$(exe_suffix "$target")"
  found=""
  if [ -f "$work/x/$exe" ]; then
    found="$work/x/$exe"
  else
    found=$(find "$work/x" -maxdepth 2 -type f -name "$exe" | head -n 1)
  fi
  [ -n "$found" ] || die "$asset holds no $exe"
  mkdir -p "$dest"
  cp "$found" "$dest/$exe" || die "cannot install $exe in $dest"
  chmod +x "$dest/$exe" || die "cannot make $dest/$exe executable"
  rm -rf "$work"
  return 0
}

# -------------------------------------------------------------------------- install

# The action's own source: GITHUB_ACTION_PATH, else the checkout this script is in.
action_path() {
  if [ -n "${GITHUB_ACTION_PATH:-}" ]; then
    printf '%s' "$GITHUB_ACTION_PATH"
  else
    (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  fi
}

build_from_source() {
  local why=$1 root src
  command -v cargo >/dev/null 2>&1 ||
    die "cannot install warden: $why, and cargo is not installed to build it from source. Add a Rust toolchain step before this action, or use a released version (\`version: vX.Y.Z\`)."
  src=$(action_path)
  root="${WARDEN_INSTALL_DIR:-$(temp_root)/warden-action}/cargo"
  note "building warden from source ($why): cargo install --locked --path $src"
  cargo install --locked --path "$src" --root "$root" --bin warden ||
    die "cargo install of warden from $src failed"
  INSTALLED_BIN=""
  local exe
  for exe in warden warden.exe; do
    if [ -f "$root/bin/$exe" ]; then
      INSTALLED_BIN="$root/bin/$exe"
      break
    fi
  done
  [ -n "$INSTALLED_BIN" ] || die "cargo install did not produce $root/bin/warden"
  INSTALLED_FROM=source
}

is_commit() {
  [[ "$1" =~ ^[0-9a-fA-F]{40}$ ]]
}

cmd_install() {
  local how="${WARDEN_INSTALL:-auto}" version repo dest why="" os arch resolved=""
  case "$how" in
    auto | release | source) ;;
    *) die "install must be auto, release or source, not \`$how\`" 2 ;;
  esac
  version="${WARDEN_VERSION:-}"
  version="${version#"${version%%[![:space:]]*}"}"
  version="${version%"${version##*[![:space:]]}"}"
  repo="${WARDEN_ACTION_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}"
  if [ -z "$version" ]; then
    version="${WARDEN_ACTION_REF:-${GITHUB_ACTION_REF:-}}"
  elif [ -z "$repo" ]; then
    # A local action (`uses: ./`) asked for a version: the releases of this repository.
    repo="${GITHUB_REPOSITORY:-}"
  fi
  dest="${WARDEN_INSTALL_DIR:-$(temp_root)/warden-action}/bin"
  os=$(runner_os)
  arch=$(runner_arch)
  TARGET=""
  INSTALLED_BIN=""
  INSTALLED_FROM=""

  if [ "$how" = source ]; then
    why="install: source"
  elif ! TARGET=$(target_for "$os" "$arch"); then
    TARGET=""
    why="no prebuilt warden for runner $os/$arch (supported: $SUPPORTED_RUNNERS)"
  elif [ -z "$repo" ]; then
    why="the action's repository is unknown (a local action); set \`version\` to download a release"
  elif [ -z "$version" ]; then
    why="the action's version is unknown"
  elif is_commit "$version"; then
    why="version $version is a commit, which has no release"
  elif is_moving_tag "$version" && ! resolved=$(resolve_moving_tag "$repo" "$version"); then
    why="no release under $version could be found in $repo"
  else
    if [ -n "$resolved" ]; then
      note "$version is $resolved, the newest release under it"
      version=$resolved
    fi
    local status=0
    download_release "$TARGET" "$version" "$repo" "$dest" || status=$?
    if [ "$status" = 0 ]; then
      INSTALLED_BIN="$dest/warden$(exe_suffix "$TARGET")"
      INSTALLED_FROM=release
      if ! "$INSTALLED_BIN" --version >/dev/null 2>&1; then
        # Verified but does not run here (e.g. an older C library on a self-hosted runner).
        why="the release binary $(asset_for "$TARGET") does not run on this runner"
        warning "$why"
        INSTALLED_BIN=""
      fi
    else
      why="no release asset $(asset_for "$TARGET") for $version in $repo"
    fi
  fi

  if [ -z "$INSTALLED_BIN" ]; then
    if [ "$how" = release ]; then
      die "install: release, but $why"
    fi
    build_from_source "$why"
  fi

  local found_version bin_dir
  found_version=$("$INSTALLED_BIN" --version 2>/dev/null) || die "the installed warden ($INSTALLED_BIN) does not run"
  note "installed $found_version from $INSTALLED_FROM: $INSTALLED_BIN"
  bin_dir=$(dirname "$INSTALLED_BIN")
  if [ -n "${GITHUB_PATH:-}" ]; then
    if command -v cygpath >/dev/null 2>&1; then
      cygpath -w "$bin_dir" >>"$GITHUB_PATH"
    else
      printf '%s\n' "$bin_dir" >>"$GITHUB_PATH"
    fi
  fi
  set_output bin "$INSTALLED_BIN"
  set_output version "${found_version#warden }"
  set_output installed-from "$INSTALLED_FROM"
}

# ------------------------------------------------------------------------------ run

# The first `"KEY": value` of a JSON report. The report's keys are in a documented order
# (docs/json-schema.md): the first "version" is the schema version, and "gaps" and
# "blocking" occur only in `summary`. A quote inside a string value is escaped (\"), so
# `"gaps":` cannot match inside a message.
json_field() {
  { tr -d '\r' <"$2" | grep -o "\"$1\"[[:space:]]*:[[:space:]]*[a-z0-9]*" || true; } |
    head -n 1 | sed 's/.*:[[:space:]]*//'
}

# has_subcommand WARDEN NAME: does this warden have `warden NAME`?
has_subcommand() {
  "$1" "$2" --help >/dev/null 2>&1
}

not_available() {
  local warden=$1 sub=$2 version
  version=$("$warden" --version 2>/dev/null || echo "warden, unknown version")
  die "\`warden $sub\` is not available in this version of warden ($version): use mode \`check\`, or a warden version that has \`$sub\`" 2
}

cmd_run() {
  local mode="${WARDEN_MODE:-auto}" warden="${WARDEN_BIN:-}"
  [ -n "$warden" ] || warden=warden
  mode=$(printf '%s' "$mode" | tr '[:upper:]' '[:lower:]' | tr -d '[:space:]')
  case "$mode" in
    "" | auto)
      case "${GITHUB_EVENT_NAME:-}" in
        pull_request | pull_request_target) mode="pr" ;;
        *) mode="check" ;;
      esac
      note "mode auto: $mode (event ${GITHUB_EVENT_NAME:-none})"
      ;;
    check | pr | sweep) ;;
    *) die "mode must be auto, check, pr or sweep, not \`$mode\`" 2 ;;
  esac
  if ! command -v "$warden" >/dev/null 2>&1 && ! [ -x "$warden" ]; then
    die "warden is not installed (no \`$warden\`): run \`action.sh install\` first" 2
  fi

  local work json markdown
  work=$(mktemp -d "$(temp_root)/warden-report.XXXXXX")
  json="$work/warden.json"
  markdown="$work/warden.md"

  local args=() line
  while IFS= read -r line; do
    [ -n "$line" ] && args+=(--policy "$line")
  done < <(input_lines "${WARDEN_POLICY:-}")
  args+=(--format "${WARDEN_FORMAT:-github}")
  args+=(--output "json=$json" --output "markdown=$markdown")
  while IFS= read -r line; do
    [ -n "$line" ] && args+=(--output "$line")
  done < <(input_lines "${WARDEN_OUTPUT:-}")
  args+=(--fail-on "${WARDEN_FAIL_ON:-deny}")
  if [ -n "${WARDEN_TOKEN:-}" ]; then
    # The token stays in the environment; warden is told the variable's name only.
    args+=(--token-env WARDEN_TOKEN)
  fi

  local path="${WARDEN_PATH:-.}" cmd=()
  case "$mode" in
    check) cmd=(check "${args[@]}" "$path") ;;
    pr)
      has_subcommand "$warden" pr || not_available "$warden" pr
      cmd=(pr "${args[@]}" --comment "${WARDEN_COMMENT:-on-gaps}" --path "$path")
      ;;
    sweep)
      has_subcommand "$warden" sweep || not_available "$warden" sweep
      cmd=(sweep "${args[@]}" "$path")
      ;;
  esac

  local output_before summary_before status=0
  output_before=$(file_size "${GITHUB_OUTPUT:-}")
  summary_before=$(file_size "${GITHUB_STEP_SUMMARY:-}")

  note "warden ${cmd[*]}"
  "$warden" "${cmd[@]}" || status=$?

  if [ -f "$json" ]; then
    publish_results "$json" "$markdown" "$output_before" "$summary_before"
  else
    note "warden exited $status and wrote no report"
  fi
  return "$status"
}

# Step outputs and job summary, for what warden did not write itself during the run
# (warden does both in Actions since `warden pr` landed; earlier builds did neither).
publish_results() {
  local json=$1 markdown=$2 output_before=$3 summary_before=$4 written="" key value
  if [ -n "${GITHUB_OUTPUT:-}" ] && [ -f "$GITHUB_OUTPUT" ]; then
    written=$(tail -c "+$((output_before + 1))" "$GITHUB_OUTPUT" | tr -d '\r')
  fi
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    local schema
    schema=$(json_field version "$json")
    if [ "$schema" != 1 ]; then
      warning "the JSON report has schema version ${schema:-unknown}, not 1: step outputs gaps and blocking are not set"
    else
      for key in gaps blocking; do
        if ! grep -Eq "^$key(=|<<)" <<<"$written"; then
          value=$(json_field "$key" "$json")
          [ -n "$value" ] && set_output "$key" "$value"
        fi
      done
    fi
    if ! grep -Eq "^report(=|<<)" <<<"$written"; then
      set_output report "$json"
    fi
  fi
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$markdown" ] &&
    [ "$(file_size "$GITHUB_STEP_SUMMARY")" = "$summary_before" ]; then
    if [ "$summary_before" != 0 ]; then
      printf '\n' >>"$GITHUB_STEP_SUMMARY"
    fi
    cat "$markdown" >>"$GITHUB_STEP_SUMMARY"
  fi
}

# --------------------------------------------------------------------------- main

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local sub=${1:-}
  [ $# -gt 0 ] && shift
  case "$sub" in
    target) cmd_target "$@" ;;
    asset) cmd_asset "$@" ;;
    install) cmd_install ;;
    run) cmd_run ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
