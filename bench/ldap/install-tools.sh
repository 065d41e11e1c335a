#!/bin/bash
# Installs what `npm run bench:ldap` needs, idempotently (run as root; bench/ldap.bench.ts calls it):
#  - ldclt, the load client of the 389 Directory Server project (C, one thread and one synchronous
#    connection per concurrency slot). Debian ships it only inside the 389-ds-base server package,
#    which we do NOT install (it would pull a server, systemd units, python3-lib389): we
#    `apt-get download` the .deb and extract just /usr/bin/ldclt into $TOOLS. Its libraries
#    (libldap, nss, nspr) are ordinary Debian packages, installed here.
#  - slapd (Debian's OpenLDAP server) as the reference. Preseeded with slapd/no_configuration so
#    the package creates no system instance; the bench runs its own slapd binary with its own
#    slapd.conf in a temporary directory.
#  - ldap-utils (slappasswd, ldapsearch) for checks.
# Prints the path of ldclt on its last line.
set -euo pipefail
TOOLS="${FORESTD_BENCH_TOOLS:-/var/cache/forestd-bench}"
LDCLT="$TOOLS/usr/bin/ldclt"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export DEBIAN_FRONTEND=noninteractive

need=()
for p in slapd ldap-utils libnss3 libnspr4; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
updated=0
apt_update() { [ $updated = 1 ] || { apt-get update -q >&2; updated=1; }; }
if [ ${#need[@]} -gt 0 ]; then
  apt_update
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2
fi
# libldap of the distribution (name varies by release: libldap-2.5-0, libldap2 ...) comes with ldap-utils.

if [ ! -x "$LDCLT" ]; then
  mkdir -p "$TOOLS/deb"
  # apt-get download needs the package lists; on a fresh machine they may be missing
  ls /var/lib/apt/lists/*Packages* >/dev/null 2>&1 || apt_update
  (cd "$TOOLS/deb" && apt-get download 389-ds-base >&2) || { apt_update; (cd "$TOOLS/deb" && apt-get download 389-ds-base >&2); }
  deb=$(ls -t "$TOOLS"/deb/389-ds-base_*.deb | head -1)
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$TOOLS" ./usr/bin/ldclt
  echo "ldclt from $(basename "$deb")" > "$TOOLS/VERSION"
  rm -f "$deb"
  echo "[install-tools] extracted ldclt from $(basename "$deb")" >&2
fi
if ldd "$LDCLT" | grep -q 'not found'; then
  missing=$(ldd "$LDCLT" | awk '/not found/{print $1}')
  echo "[install-tools] ldclt misses libraries: $missing" >&2
  exit 1
fi
command -v slapd >/dev/null || { echo "[install-tools] no slapd after install" >&2; exit 1; }
echo "$LDCLT"
