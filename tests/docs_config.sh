#!/usr/bin/env bash
# docs/CONFIGURATION.md must hold exactly what the binary's settings table
# says: every setting, type, default and description.
set -euo pipefail
bin=$1 doc=$2
diff -u <(sed -n '/<!-- BEGIN REFERENCE -->/,/<!-- END REFERENCE -->/p' "$doc" | sed '1d;$d') \
	<("$bin" --config-reference) && echo "1 passed, 0 failed"
