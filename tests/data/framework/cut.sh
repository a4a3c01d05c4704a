#!/usr/bin/env bash
# Copy the seed documents (unchanged) from the shared data folder into tests/data/framework/seeds.
set -euo pipefail
src=${1:-../shared/seeds}
dest="$(dirname "$0")/seeds"
mkdir -p "$dest"
cp "$src/000_ef062c0e673cb814.txt" "$dest/press-release-2025-01.txt"
cp "$src/001_3d8979f8c9046e37.txt" "$dest/cabinet-report-2025-01-16.txt"
