#!/usr/bin/env bash
# Headless Chromium + chromedriver for the browser tests (Debian bookworm packages), and CJK fonts so
# captions in Chinese/Japanese/Korean render in screenshots. Idempotent: installs only what is missing,
# and re-installs the pair when chromium and chromium-driver disagree in version (chromedriver refuses
# a browser of another major version). ~190 MB download on a fresh machine; ~30 s here.
# `make test` runs it after scripts/setup.sh (the browser is for the tests of `vidpipe serve` only).
set -euo pipefail
SUDO=${SUDO-}
if [ -z "$SUDO" ] && [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

browser_packages=(chromium chromium-driver fonts-noto-cjk)

browser_missing=()
for p in "${browser_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || browser_missing+=("$p")
done
if ((${#browser_missing[@]} == 0)) &&
   [ "$(dpkg-query -W -f='${Version}' chromium)" != "$(dpkg-query -W -f='${Version}' chromium-driver)" ]; then
  browser_missing+=(chromium chromium-driver)   # versions must match
fi
if ((${#browser_missing[@]})); then
  echo "setup: installing ${browser_missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${browser_missing[@]}" >/dev/null
fi

# The tests start the real binary, not Debian's /usr/bin/chromium wrapper script.
[ -x /usr/lib/chromium/chromium ] || { echo "setup: /usr/lib/chromium/chromium is missing" >&2; exit 1; }
command -v chromedriver >/dev/null || { echo "setup: chromedriver is not on PATH" >&2; exit 1; }
