#!/usr/bin/env bash
# The project's own checks run with the suite: scripts/lint.sh.
exec bash "$GR_SOURCE_DIR/scripts/lint.sh"
