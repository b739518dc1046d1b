#!/usr/bin/env bash
# Install the Debian packages coverage15's tests and maps use, when we can:
#   fonts-noto-cjk  Chinese glyphs for map labels (without it maps fall back to English)
#   chromium        headless browser for the offline web-map test (skipped without it)
# Idempotent and quiet: does nothing when everything is installed.
set -euo pipefail
pkgs=(fonts-noto-cjk chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # fonts installed after matplotlib built its font cache are found by coverage15 itself
  command -v fc-cache >/dev/null 2>&1 && fc-cache -f >/dev/null 2>&1 || true
else
  echo "note: Debian packages not installed (${missing[*]}): Chinese map labels fall back" \
       "to English and the headless-browser test is skipped" >&2
fi
