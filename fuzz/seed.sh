#!/usr/bin/env bash
# Seeds the fuzz corpora from the shared parser corpus (../../shared/corpus, or
# $SIGNOFF_CORPUS), one folder per target, by the format MANIFEST.tsv gives each
# file. The copies live in fuzz/corpus/ (git-ignored): corpus files are never
# committed to this repository.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
source_dir="${SIGNOFF_CORPUS:-$here/../../shared/corpus}"
manifest="$source_dir/MANIFEST.tsv"
if [[ ! -f "$manifest" ]]; then
    echo "seed.sh: no corpus at $source_dir (set SIGNOFF_CORPUS)" >&2
    exit 1
fi

for target in parse_any parse_sarif parse_vendor_json parse_xml parse_lcov parse_secrets; do
    mkdir -p "$here/corpus/$target"
done

# The vendor-JSON and XML targets read their format from the first byte of the
# input (see the targets); each seed gets the byte that selects its format. The
# functions print the byte's value, as bash cannot hold a NUL in a variable.
json_selector() {
    case "$1" in
        trivy-json) echo 0 ;;
        grype-json) echo 1 ;;
        gitleaks-json) echo 2 ;;
        semgrep-json) echo 3 ;;
        checkov-json) echo 4 ;;
        zap-json) echo 5 ;;
        npm-audit-json) echo 6 ;;
        osv-scanner-json) echo 7 ;;
        cyclonedx-json | cyclonedx-vex-json) echo 8 ;;
        spdx-json) echo 9 ;;
        github-pr-json) echo 10 ;;
        *) return 1 ;;
    esac
}
xml_selector() {
    case "$1" in
        junit-xml) echo 0 ;;
        cobertura-xml) echo 1 ;;
        jacoco-xml) echo 2 ;;
        cyclonedx-xml) echo 3 ;;
        zap-xml) echo 4 ;;
        *) return 1 ;;
    esac
}

tail -n +2 "$manifest" | while IFS=$'\t' read -r path format _rest; do
    file="$source_dir/$path"
    [[ -f "$file" ]] || continue
    # Large files slow every iteration down without covering more code.
    if (( $(stat -c %s "$file") > 262144 )); then
        continue
    fi
    name="$(basename "$path")"
    cp "$file" "$here/corpus/parse_any/$name"
    case "$format" in
        sarif) cp "$file" "$here/corpus/parse_sarif/$name" ;;
        lcov) cp "$file" "$here/corpus/parse_lcov/$name" ;;
    esac
    if selector="$(json_selector "$format")"; then
        { printf "$(printf '\\x%02x' "$selector")"; cat "$file"; } > "$here/corpus/parse_vendor_json/$name"
    fi
    if selector="$(xml_selector "$format")"; then
        { printf "$(printf '\\x%02x' "$selector")"; cat "$file"; } > "$here/corpus/parse_xml/$name"
    fi
    case "$format" in
        gitleaks-json | trivy-json | semgrep-json | sarif) cp "$file" "$here/corpus/parse_secrets/$name" ;;
    esac
done
echo "seed.sh: seeded $(ls "$here/corpus/parse_any" | wc -l) files into $here/corpus/"
