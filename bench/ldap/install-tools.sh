#!/bin/bash
# Installs what the LDAP benchmarks need, idempotently (as root; bench/lib/servers.ts calls it):
#   install-tools.sh          everything bench:ldap needs (below); prints the path of ldclt last
#   install-tools.sh client   ldap-utils only (bench:ad's ldapadd)
#  - ldclt, the load client of the 389 Directory Server project (C, one thread and one synchronous
#    connection per concurrency slot). Debian ships it only inside the 389-ds-base server package,
#    which we do NOT install (it would pull a server, systemd units, python3-lib389): we
#    `apt-get download` the .deb and extract just /usr/bin/ldclt into $TOOLS. Its libraries
#    (libldap, nss, nspr) are ordinary Debian packages.
#  - slapd (Debian's OpenLDAP server) as the reference, preseeded with slapd/no_configuration so
#    the package makes no system instance: the bench runs /usr/sbin/slapd itself with its own
#    slapd.conf in a temporary directory.
#  - ldap-utils (ldapsearch, ldapadd).
# When anything is missing, `apt-get update` runs once first.
set -euo pipefail
TOOLS="${FORESTD_BENCH_TOOLS:-/var/cache/forestd-bench}"
LDCLT="$TOOLS/usr/bin/ldclt"
MODE="${1:-all}"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export DEBIAN_FRONTEND=noninteractive

pkgs=(ldap-utils)
[ "$MODE" = client ] || pkgs+=(slapd libnss3 libnspr4)
need=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
want_ldclt=0
[ "$MODE" = client ] || [ -x "$LDCLT" ] || want_ldclt=1

if [ ${#need[@]} -gt 0 ] || [ $want_ldclt = 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "[install-tools] must run as root to install: ${need[*]} ${want_ldclt/1/ldclt}" >&2; exit 1; }
  apt-get update -q >&2
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi
if [ $want_ldclt = 1 ]; then
  mkdir -p "$TOOLS/deb"
  (cd "$TOOLS/deb" && apt-get download 389-ds-base 2>&1 | grep -v 'Download is performed unsandboxed' >&2 || true)
  deb=$(ls -t "$TOOLS"/deb/389-ds-base_*.deb | head -1)
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$TOOLS" ./usr/bin/ldclt
  echo "ldclt from $(basename "$deb")" > "$TOOLS/VERSION"
  rm -rf "$TOOLS/deb"
  echo "[install-tools] extracted ldclt from $(basename "$deb") into $TOOLS" >&2
fi
[ "$MODE" = client ] && exit 0
if ldd "$LDCLT" | grep -q 'not found'; then
  echo "[install-tools] ldclt misses libraries: $(ldd "$LDCLT" | awk '/not found/{print $1}' | tr '\n' ' ')" >&2
  exit 1
fi
[ -x /usr/sbin/slapd ] || { echo "[install-tools] no /usr/sbin/slapd after the install" >&2; exit 1; }
echo "$LDCLT"
