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

# What ran, the closing line CI reads and the verdict, from the Surefire reports.
exec bash "$repo/scripts/surefire-summary.sh" java "$reports" "$status"
