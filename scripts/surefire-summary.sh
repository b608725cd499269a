#!/usr/bin/env bash
# The end of a Maven test script (scripts/java-tests.sh, scripts/client-java-tests.sh): count
# what ran from Surefire's XML reports, print the closing line CI reads, and exit with the run's
# verdict.
#
#   scripts/surefire-summary.sh NAME REPORTS_DIR MVN_STATUS
#
# NAME         the suite's name in the closing line ("NAME: N passed, N failed, N skipped") and,
#              as NAME-tests, in the error when no test ran
# REPORTS_DIR  target/surefire-reports of the run (the caller removes a previous run's first, so
#              that a run that runs nothing cannot pass on stale reports)
# MVN_STATUS   the exit status of `mvn test` (and of anything else the caller checked)
#
# Exits with MVN_STATUS if it is not 0; otherwise 1 if no test ran, else 0.
set -euo pipefail

name="$1"
reports="$2"
status="$3"

# Sum tests, failures, errors and skipped over the <testsuite> elements of every report.
shopt -s nullglob
report_files=("$reports"/TEST-*.xml)
shopt -u nullglob
counts="0 0 0 0"
if [[ ${#report_files[@]} -gt 0 ]]; then
    counts="$(awk '
        BEGIN { split("tests failures errors skipped", keys, " ") }
        /<testsuite[ >]/ {
            for (i = 1; i <= 4; i++) {
                key = keys[i]
                if (match($0, " " key "=\"[0-9]+\"")) {
                    total[key] += substr($0, RSTART + length(key) + 3, RLENGTH - length(key) - 4)
                }
            }
        }
        END { printf "%d %d %d %d\n", total["tests"], total["failures"], total["errors"], total["skipped"] }
    ' "${report_files[@]}")"
fi
read -r tests failures errors skipped <<<"$counts"
ran=$((tests - skipped))
# The plain closing line CI reads: "N passed, N failed", optionally ", N skipped".
echo "$name: $((ran - failures - errors)) passed, $((failures + errors)) failed, $skipped skipped"

if [[ $status -ne 0 ]]; then
    exit "$status"
fi
# Zero tests run (none found, all filtered out, or skipped) is a broken suite, not a pass.
if [[ $ran -le 0 ]]; then
    echo "$name-tests: no test ran" >&2
    exit 1
fi
