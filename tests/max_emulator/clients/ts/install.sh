#!/usr/bin/env bash
# Installs the official MAX TypeScript client (npm @maxhub/max-bot-api, pinned in package-lock.json)
# for tests/max_emulator/clients/test_typescript.py; the test skips with a reason without it.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: the TypeScript client test will be skipped" >&2
    exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
