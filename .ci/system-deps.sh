#!/usr/bin/env bash
# Install the Debian packages that the browser and SLURM tests need.
# Idempotent and quick when everything is present; skipped without root.
set -euo pipefail
packages=(chromium slurmctld slurmd slurm-client slurmdbd munge mariadb-server)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if (( ${#missing[@]} == 0 )); then
  exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
  echo "system-deps: not root, so not installing ${missing[*]}; the tests that need them skip" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
