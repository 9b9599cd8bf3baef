#!/usr/bin/env bash
# Regenerate examples/evidence/{v1,v2}/ by running real CI tools on examples/shop.
#
#   v2 = the working tree of examples/shop (the fixed release, 1.4.1)
#   v1 = the same tree with shop/v1.patch applied (the release before the fix, 1.4.0):
#        command injection through subprocess shell=True in the order export,
#        and a discount that is truncated instead of rounded (one failing test).
#
# Every file under evidence/ is exactly what a tool wrote; nothing is edited
# afterwards. Tools run from inside a throwaway copy of the app with relative
# paths, so file names in the reports are relative (shop/export.py, ...).
# Timestamps, durations and the host name in the reports are real and differ
# from run to run.
#
# Needs: python3 (3.9+) with venv, PyPI access, gzip, patch. No other network:
# semgrep runs with a local rules file, --metrics=off and no version check.
#
# Usage: examples/regen.sh            (from anywhere; takes a few minutes)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHOP="$HERE/shop"
OUT="$HERE/evidence"
PYTHON="${PYTHON:-python3}"

# Pinned tool versions (top-level packages; their dependencies float).
BANDIT="bandit[sarif]==1.9.4"
SEMGREP="semgrep==1.185.0"
PYTEST="pytest==9.2.0"
PYTEST_COV="pytest-cov==7.1.0"
COVERAGE="coverage==7.17.5"
CYCLONEDX="cyclonedx-bom==7.5.0"

# The commands, run from the app copy's root; outputs go to out/. They are
# printed verbatim into evidence/README.md.
BANDIT_CMD=(bandit -r shop -f sarif -o out/bandit.sarif)
SEMGREP_CMD=(semgrep scan --metrics=off --disable-version-check --config ../semgrep-rules.yml
             --sarif -o out/semgrep.sarif shop)
PYTEST_CMD=(python -m pytest -p no:cacheprovider --junitxml=out/junit.xml
            --cov --cov-report=term --cov-report=xml:out/coverage.xml --cov-report=lcov:out/coverage.lcov)
SBOM_CMD=(cyclonedx-py environment --pyproject pyproject.toml --sv 1.6 --of JSON
          --output-reproducible -o out/sbom.cdx.json ../runtime/bin/python)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
log() { printf '\n== %s\n' "$*" >&2; }

# Layout of $WORK/<state>/: app/ (copy of the app; commands run here), runtime/
# (the app's runtime venv), semgrep-rules.yml.

# Run a command that may exit 0 or 1 (1 = "found problems": bandit findings,
# pytest failures); any other exit status is a real error and stops the script.
allow_findings() {
  local rc=0
  "$@" || rc=$?
  if (( rc > 1 )); then echo "error: '$*' exited $rc" >&2; exit "$rc"; fi
}

# --- tools -------------------------------------------------------------------
pip_install() { "$1/bin/pip" install --disable-pip-version-check --no-input -q "${@:2}"; }

log "tool venv: bandit, pytest, coverage, cyclonedx-py (+ the app's requirements, for the tests)"
"$PYTHON" -m venv "$WORK/tools"
pip_install "$WORK/tools" "$BANDIT" "$PYTEST" "$PYTEST_COV" "$COVERAGE" "$CYCLONEDX" -r "$SHOP/requirements.txt"

# Semgrep pins many of its own dependencies, so it gets a venv of its own.
log "semgrep venv"
"$PYTHON" -m venv "$WORK/semgrep"
pip_install "$WORK/semgrep" "$SEMGREP"

export PATH="$WORK/tools/bin:$WORK/semgrep/bin:$PATH"
export PYTHONDONTWRITEBYTECODE=1
# Keep semgrep's settings, log and version cache out of $HOME.
export SEMGREP_SETTINGS_FILE="$WORK/semgrep-settings.yml"
export SEMGREP_LOG_FILE="$WORK/semgrep.log"
export SEMGREP_VERSION_CACHE_PATH="$WORK/semgrep-version"

# --- one release state ---------------------------------------------------------
run_state() {
  local state="$1" dir="$WORK/$1"
  log "state $state"
  mkdir -p "$dir/app/out"
  # Copy the app without the patch file or any local caches.
  tar -C "$SHOP" --exclude=./v1.patch --exclude=__pycache__ --exclude=.pytest_cache \
      --exclude=.coverage -cf - . | tar -C "$dir/app" -xf -
  cp "$HERE/semgrep-rules.yml" "$dir/semgrep-rules.yml"
  if [[ "$state" == v1 ]]; then
    patch -d "$dir/app" -p1 --quiet --no-backup-if-mismatch < "$SHOP/v1.patch"
  fi

  # The app's runtime environment, for the SBOM: only requirements.txt, no pip.
  "$PYTHON" -m venv --without-pip "$dir/runtime"
  "$WORK/tools/bin/pip" --python "$dir/runtime/bin/python" install \
      --disable-pip-version-check --no-input -q -r "$dir/app/requirements.txt"

  cd "$dir/app"
  allow_findings "${BANDIT_CMD[@]}"    # exits 1 when it reports anything
  "${SEMGREP_CMD[@]}"                  # exits 0 with findings (no --error)
  allow_findings "${PYTEST_CMD[@]}"    # exits 1 when a test fails (v1)
  "${SBOM_CMD[@]}"
  cd "$HERE"

  rm -rf "${OUT:?}/$state"
  mkdir -p "$OUT/$state"
  cp "$dir"/app/out/* "$OUT/$state/"
}

run_state v1
run_state v2

# --- README + sanity checks -----------------------------------------------------
# Summarise what the tools wrote (read-only) and check the story the demo tells:
# v1 has a HIGH bandit finding and a failing test; v2 has neither.
log "evidence/README.md"
python - "$OUT" "$WORK/semgrep/bin/python" "${BANDIT_CMD[*]}" "${SEMGREP_CMD[*]}" \
    "${PYTEST_CMD[*]}" "${SBOM_CMD[*]}" <<'PY'
import json, subprocess, sys
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

out, semgrep_python, bandit_cmd, semgrep_cmd, pytest_cmd, sbom_cmd = sys.argv[1:]
out = Path(out)
semgrep_version = subprocess.run(
    [semgrep_python, "-c", "from importlib.metadata import version; print(version('semgrep'))"],
    check=True, capture_output=True, text=True).stdout.strip()
v = {name: version(name) for name in ("bandit", "pytest", "pytest-cov", "coverage", "cyclonedx-bom", "PyYAML")}

def sarif_summary(path):
    run = json.loads(path.read_text())["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"].get("rules", [])}
    rows = []
    for r in run["results"]:
        p = r.get("properties", {})
        loc = r["locations"][0]["physicalLocation"]
        where = f'{loc["artifactLocation"]["uri"]}:{loc["region"]["startLine"]}'
        # SARIF: a result without "level" takes its rule's defaultConfiguration.level,
        # and "warning" when that is absent too.
        rule_level = rules.get(r["ruleId"], {}).get("defaultConfiguration", {}).get("level")
        if "level" in r:
            level = f'level `{r["level"]}`'
        elif rule_level:
            level = f'no result level; rule defaultConfiguration.level `{rule_level}`'
        else:
            level = "no level anywhere (SARIF default `warning`)"
        extra = f', issue_severity `{p["issue_severity"]}`, issue_confidence `{p["issue_confidence"]}`' \
            if "issue_severity" in p else ""
        rows.append(f'`{r["ruleId"]}` at `{where}`: {level}{extra}')
    return run["results"], rows

lines = [
    "# Example pipeline evidence",
    "",
    "Written by `examples/regen.sh`, which runs real tools on the example app in",
    "`examples/shop/`: `v2/` is the app as checked in (release 1.4.1), `v1/` is the same",
    "app with `shop/v1.patch` applied (release 1.4.0, before the fix). Nothing here is",
    "edited by hand. Regenerate with `bash examples/regen.sh` (needs python3 and PyPI).",
    "",
    "Each command runs from the root of a temporary copy of the app, writing into `out/`,",
    "which is then copied to `evidence/<state>/`.",
    "",
    "| file | tool | command |",
    "| --- | --- | --- |",
    f"| `bandit.sarif` | bandit {v['bandit']} (`bandit[sarif]`) | `{bandit_cmd}` |",
    f"| `semgrep.sarif` | semgrep {semgrep_version} (rules: `examples/semgrep-rules.yml`, offline) | `{semgrep_cmd}` |",
    f"| `junit.xml` | pytest {v['pytest']} | `{pytest_cmd}` |",
    f"| `coverage.xml` (Cobertura) | coverage.py {v['coverage']} via pytest-cov {v['pytest-cov']} | same pytest run |",
    f"| `coverage.lcov` | coverage.py {v['coverage']} via pytest-cov {v['pytest-cov']} | same pytest run |",
    f"| `sbom.cdx.json` (CycloneDX 1.6) | cyclonedx-py from cyclonedx-bom {v['cyclonedx-bom']} | `{sbom_cmd}` |",
    "",
    "`../runtime` is a venv holding only the app's `requirements.txt`"
    f" (PyYAML {v['PyYAML']}), so the SBOM describes what ships, not the test tools.",
    "Python: " + sys.version.split()[0] + ".",
    "",
    "To get the v1 sources: `cp -r examples/shop /tmp/shop-v1 && patch -d /tmp/shop-v1 -p1 < examples/shop/v1.patch`.",
]

problems = []
for state in ("v1", "v2"):
    d = out / state
    bandit, bandit_rows = sarif_summary(d / "bandit.sarif")
    semgrep, semgrep_rows = sarif_summary(d / "semgrep.sarif")
    suites = ET.parse(d / "junit.xml").getroot()
    suite = suites if suites.tag == "testsuite" else suites.find("testsuite")
    tests, failures, errors, skipped = (int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped"))
    failed = [f'{tc.get("classname")}::{tc.get("name")}' for tc in suite.iter("testcase")
              if tc.find("failure") is not None or tc.find("error") is not None]
    cov = ET.parse(d / "coverage.xml").getroot()
    sbom = json.loads((d / "sbom.cdx.json").read_text())
    root = sbom["metadata"]["component"]
    comps = ", ".join(f'{c["name"]} {c["version"]}' for c in sbom.get("components", []))
    high = [r for r in bandit if r.get("properties", {}).get("issue_severity") == "HIGH"]
    lines += [
        "", f"## {state}: shop {root['version']}", "",
        f"- `bandit.sarif`: {len(bandit)} result(s), {len(high)} at HIGH severity",
        *[f"  - {row}" for row in bandit_rows],
        f"- `semgrep.sarif`: {len(semgrep)} result(s)",
        *[f"  - {row}" for row in semgrep_rows],
        f"- `junit.xml`: {tests} tests, {failures} failed, {errors} errors, {skipped} skipped",
        *[f"  - failed: `{name}`" for name in failed],
        f"- `coverage.xml` / `coverage.lcov`: line rate {float(cov.get('line-rate')):.2%}"
        f" ({cov.get('lines-covered')}/{cov.get('lines-valid')} lines),"
        f" branch rate {float(cov.get('branch-rate')):.2%}"
        f" ({cov.get('branches-covered')}/{cov.get('branches-valid')} branches)",
        f"- `sbom.cdx.json`: root component `{root['name']}` {root['version']}; components: {comps}",
    ]
    if state == "v1" and (not high or failures + errors == 0):
        problems.append("v1 should have a HIGH bandit finding and a failing test")
    if state == "v2" and (high or failures + errors):
        problems.append("v2 should have no HIGH bandit finding and no failing test")

(out / "README.md").write_text("\n".join(lines) + "\n")
if problems:
    sys.exit("regen.sh: " + "; ".join(problems))
PY

log "done: $(du -sh "$OUT" | cut -f1) in $OUT"
