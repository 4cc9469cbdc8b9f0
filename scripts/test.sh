#!/usr/bin/env bash
# The whole test suite from a fresh machine: installs what the tests need, builds, runs every test.
# Tests that need root (memory cgroups), java or dotnet run when those are present, and print why when skipped;
# with the .NET SDK present, it installs dotnet-gcdump and dotnet-dump for the .NET cross-checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)   # the UI tests drive it with playwright-core (no browser download)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${need_apt[*]} from Debian's packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "test.sh: ${need_apt[*]} missing and cannot apt-get install (not root): tests that need it will skip" >&2
  fi
fi

# The .NET cross-check tests compare leakwatch's native dumps with the real SDK tools (SOS dumpheap -stat, dotnet-gcdump):
# install them as global tools (into ~/.dotnet/tools) where the .NET SDK is present and they are missing.
DOTNET_TOOLS_VERSION=10.0.750501
if command -v dotnet >/dev/null 2>&1; then
  for tool in dotnet-gcdump dotnet-dump; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "$HOME/.dotnet/tools/$tool" ]; then
      echo "test.sh: installing $tool $DOTNET_TOOLS_VERSION (dotnet tool install -g)" >&2
      # Bounded: an unreachable NuGet feed must not stall the run (the test then skips).
      DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 timeout 300 dotnet tool install -g "$tool" --version "$DOTNET_TOOLS_VERSION" >/dev/null ||
        echo "test.sh: could not install $tool: its cross-check test will skip" >&2
    fi
  done
fi

npm ci --no-audit --no-fund
npm run build --silent
npm run typecheck --silent   # the tests too: vitest strips types without checking them
npm run lint --silent        # formatting and lint rules (biome.jsonc); `npm run format` fixes the formatting
npx vitest run "$@"
