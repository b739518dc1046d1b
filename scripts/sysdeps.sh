#!/usr/bin/env bash
# Install the Debian packages coverage15's tests and maps use, when we can.
set -euo pipefail
pkgs=(fonts-noto-cjk)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "note: Debian packages not installed (${missing[*]}); Chinese map labels fall back to English" >&2
fi
