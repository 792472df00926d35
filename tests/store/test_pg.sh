#!/usr/bin/env bash
# The store contract (test_store.c, test_store_records.c) against a private PostgreSQL, alone and
# with a private Redis for the short-lived state: every case, the 20-thread
# races included; then what only PostgreSQL has (tool_pg_faults.c:
# racing migrations, a lost connection, lock and connect timeouts). Fails,
# never skips, when PostgreSQL cannot start.
set -euo pipefail
exec "$GR_SOURCE_DIR/scripts/pg-test.sh" "$GR_SOURCE_DIR/scripts/redis-test.sh" \
    bash -c '"$1" && "$2" && "$3"' _ "$GR_BUILD_DIR/tests/test_store" \
    "$GR_BUILD_DIR/tests/test_store_records" "$GR_BUILD_DIR/tests/tool_pg_faults"
