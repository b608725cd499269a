#!/usr/bin/env bash
# Run the official twilio-java SDK suite (tests/java) against a locally built mockingbird. The
# suite runs on the Java client (clients/java, dev.mockingbird:mockingbird-testing), which this
# script installs into the local Maven repository first, so the suite always builds on the
# client of the same checkout.
#
#   scripts/java-tests.sh [extra mvn args, e.g. -Dtest='MessagingSdkTest#badCredentials']
#
# MOCKINGBIRD_BIN   the server binary (default: <repo>/target/debug/mockingbird; a relative path
#                   is taken from the repository root)
#
# Needs Java 17 and Maven 3.6.3 or later. The SDK, JUnit, the client's dependencies and the
# plugins are pinned in tests/java/pom.xml and clients/java/pom.xml and come from Maven Central
# into Maven's default local repository (~/.m2/repository) on the first run.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

suite="$repo/tests/java"

for tool in java mvn; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "java-tests: $tool not found on PATH (Java 17 and Maven are needed)" >&2
        exit 1
    fi
done

# shellcheck source=scripts/server-binary.sh
source "$repo/scripts/server-binary.sh"

# Surefire's XML reports are how this script counts what ran: remove a previous run's, so that
# a run that runs nothing cannot pass on stale ones.
reports="$suite/target/surefire-reports"
rm -rf "$reports"

# Maven 3.8 writes ANSI resets even with colours off; jansi.noreset stops that.
export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }-Djansi.noreset=true"

# The client, built from this checkout (its classes generated from proto/) and installed
# without its own tests, which scripts/client-java-tests.sh runs.
(cd "$repo/clients/java" && mvn -q -B -Dstyle.color=never install -Dmaven.test.skip=true)

status=0
(cd "$suite" && mvn -q -B -Dstyle.color=never test "$@") || status=$?

# docs/sdks.md's Java project compiles as pasted: its pom.xml and classes, taken from the page.
snippet="$suite/target/docs-snippet"
rm -rf "$snippet"
mkdir -p "$snippet/src/main/java"
awk -v dir="$snippet" '
    /^## Java/ { in_java = 1; next }
    /^## / { in_java = 0 }
    !in_java { next }
    /^```xml$/ { out = dir "/pom.xml"; next }
    /^```java$/ { n++; out = dir "/src/main/java/Snippet" n ".java"; next }
    /^```$/ { out = ""; next }
    out != "" { print > out }
' docs/sdks.md
for file in "$snippet"/src/main/java/Snippet*.java; do
    class="$(sed -n 's/^public class \([A-Za-z0-9_]*\).*/\1/p' "$file" | head -n 1)"
    mv "$file" "$snippet/src/main/java/$class.java"
done
if ! (cd "$snippet" && mvn -q -B -Dstyle.color=never compile); then
    echo "java-tests: docs/sdks.md's Java snippet does not compile" >&2
    status=1
fi

# Sum tests, failures, errors and skipped over the <testsuite> elements of every report.
shopt -s nullglob
report_files=("$reports"/TEST-*.xml)
shopt -u nullglob
counts="0 0 0 0"
if [[ ${#report_files[@]} -gt 0 ]]; then
    counts="$(awk '
        /<testsuite[ >]/ {
            for (i = 1; i <= 4; i++) {
                key = (i == 1 ? "tests" : i == 2 ? "failures" : i == 3 ? "errors" : "skipped")
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
echo "java: $((ran - failures - errors)) passed, $((failures + errors)) failed, $skipped skipped"

if [[ $status -ne 0 ]]; then
    exit "$status"
fi
# Zero tests run (none found, all filtered out, or skipped) is a broken suite, not a pass.
if [[ $ran -le 0 ]]; then
    echo "java-tests: no test ran" >&2
    exit 1
fi
