# The LDAP ping (MS-ADTS 6.3.3) against forestd over TCP (python3-ldap3) and over CLDAP (a UDP
# datagram), each answer decoded with python3-samba's NDR (samba.dcerpc.nbt). Prints one JSON
# object with what it saw.
# usage: netlogon_ping.py HOST LDAP_PORT CLDAP_PORT REALM ADMIN_DN ADMIN_PASSWORD
import json, socket, struct, sys
from ldap3 import Server, Connection, BASE
from ldap3.protocol.rfc4511 import LDAPMessage
from pyasn1.codec.ber import decoder
from samba.dcerpc import nbt, misc
from samba.ndr import ndr_pack, ndr_unpack

host, ldap_port, cldap_port, realm, admin_dn, admin_pw = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]


def esc(b):
    return ''.join('\\%02x' % x for x in b)


def ntver(n):
    return esc(struct.pack('<I', n))


def ex(blob):
    r = ndr_unpack(nbt.NETLOGON_SAM_LOGON_RESPONSE_EX, blob)
    return {
        'command': r.command, 'server_type': r.server_type, 'domain_uuid': str(r.domain_uuid),
        'forest': r.forest, 'dns_domain': r.dns_domain, 'pdc_dns_name': r.pdc_dns_name,
        'domain_name': r.domain_name, 'pdc_name': r.pdc_name, 'user_name': r.user_name,
        'server_site': r.server_site, 'client_site': r.client_site, 'nt_version': r.nt_version,
        'lmnt_token': r.lmnt_token, 'lm20_token': r.lm20_token,
        'sockaddr_size': r.sockaddr_size,
        'sockaddr_ip': r.sockaddr.pdc_ip if r.sockaddr_size else None,
    }


# python's ndr_unpack reads every optional field of NETLOGON_SAM_LOGON_RESPONSE_EX (Samba's C
# pull_netlogon_samlogon_response skips them by NtVersion): ask for them all, V5EP and VCS
FULL = 0x2 | 0x4 | 0x8 | 0x10
out = {}
conn = Connection(Server(host, port=ldap_port), auto_bind=True)  # anonymous, as the locator pings


def tcp(filt, attrs=None):
    conn.search('', filt, BASE, attributes=attrs or ['netlogon'])
    if not conn.response or conn.response[0].get('type') != 'searchResEntry':
        return None
    return conn.response[0]['raw_attributes']


def tcp_netlogon(filt):
    a = tcp(filt)
    return None if a is None else a['netlogon'][0]


out['tcp_ex'] = ex(tcp_netlogon('(&(DnsDomain=%s)(NtVer=%s))' % (realm, ntver(FULL))))
out['tcp_ex_plain_len'] = len(tcp_netlogon('(&(DnsDomain=%s)(NtVer=%s))' % (realm, ntver(0x6))))
out['tcp_no_domain'] = ex(tcp_netlogon('(NtVer=%s)' % ntver(FULL)))
guid_bytes = ndr_pack(misc.GUID(out['tcp_ex']['domain_uuid']))
out['tcp_guid'] = ex(tcp_netlogon('(&(DomainGuid=%s)(NtVer=%s))' % (esc(guid_bytes), ntver(FULL))))
out['tcp_user_unknown'] = ex(tcp_netlogon('(&(DnsDomain=%s)(User=nobody-here)(AAC=%s)(NtVer=%s))' % (realm, esc(struct.pack('<I', 0x10)), ntver(FULL))))
out['tcp_user_known'] = ex(tcp_netlogon('(&(DnsDomain=%s)(User=Administrator)(AAC=%s)(NtVer=%s))' % (realm, esc(struct.pack('<I', 0x10)), ntver(FULL))))
out['tcp_user_no_aac'] = ex(tcp_netlogon('(&(DnsDomain=%s)(User=Administrator)(NtVer=%s))' % (realm, ntver(FULL))))
v5 = ndr_unpack(nbt.NETLOGON_SAM_LOGON_RESPONSE, tcp_netlogon('(&(DnsDomain=%s)(NtVer=%s))' % (realm, ntver(0x2))))
out['tcp_v5'] = {'command': v5.command, 'pdc_name': v5.pdc_name, 'domain_name': v5.domain_name, 'dns_domain': v5.dns_domain, 'nt_version': v5.nt_version, 'server_type': v5.server_type}
nt40 = ndr_unpack(nbt.NETLOGON_SAM_LOGON_RESPONSE_NT40, tcp_netlogon('(&(DnsDomain=%s)(NtVer=%s))' % (realm, ntver(0x1))))
out['tcp_nt40'] = {'command': nt40.command, 'pdc_name': nt40.pdc_name, 'domain_name': nt40.domain_name, 'nt_version': nt40.nt_version}
# MS-ADTS 6.3.3.3: no NC of that name, a wrong GUID, an invalid filter → no entry
out['tcp_bad_domain'] = tcp('(&(DnsDomain=no-such.example)(NtVer=%s))' % ntver(0x6))
out['tcp_bad_guid'] = tcp('(&(DomainGuid=%s)(NtVer=%s))' % (esc(b'\x01' * 16), ntver(0x6)))
out['tcp_short_guid'] = tcp('(&(DnsDomain=%s)(DomainGuid=\\01\\02)(NtVer=%s))' % (realm, ntver(0x6)))
out['tcp_wildcard'] = tcp('(&(NtVer=%s)(supportedCapabilities=*))' % ntver(0x6))
extra = tcp('(&(NtVer=%s)(AAC=%s)(supportedCapabilities=1.2.840.113556.1.4.800))' % (ntver(0x4), esc(struct.pack('<I', 0))), ['netlogon', 'supportedCapabilities'])
out['tcp_extra_attrs'] = sorted(k.lower() for k in extra.keys()) if extra else None
# a plain rootDSE read does not carry netlogon
plain = tcp('(objectClass=*)', ['*'])
out['plain_has_netlogon'] = any(k.lower() == 'netlogon' for k in plain.keys()) if plain else None


# ---- CLDAP: one LDAPMessage per datagram, answered by entry + done in one datagram
def ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + ber_len(len(body)) + body


def eq(attr, value):
    return tlv(0xa3, tlv(0x04, attr.encode()) + tlv(0x04, value))


def cldap(terms, attrs=('NetLogon',)):
    filt = tlv(0xa0, b''.join(eq(a, v) for a, v in terms))
    req = tlv(0x63, tlv(0x04, b'') + tlv(0x0a, b'\x00') + tlv(0x0a, b'\x00') + tlv(0x02, b'\x00') + tlv(0x02, b'\x00') + tlv(0x01, b'\x00') + filt + tlv(0x30, b''.join(tlv(0x04, a.encode()) for a in attrs)))
    msg = tlv(0x30, tlv(0x02, b'\x07') + req)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    s.sendto(msg, (host, cldap_port))
    data, _ = s.recvfrom(65535)
    s.close()
    msgs = []
    while data:
        m, data = decoder.decode(data, asn1Spec=LDAPMessage())
        msgs.append(m)
    kinds = [m['protocolOp'].getName() for m in msgs]
    blob = None
    for m in msgs:
        op = m['protocolOp']
        if op.getName() == 'searchResEntry':
            for a in op['searchResEntry']['attributes']:
                if str(a['type']).lower() == 'netlogon':
                    blob = bytes(a['vals'][0])
    done = msgs[-1]['protocolOp']['searchResDone']
    return {'kinds': kinds, 'message_ids': [int(m['messageID']) for m in msgs], 'result': int(done['resultCode']), 'netlogon': ex(blob) if blob else None}


out['udp_ex'] = cldap([('DnsDomain', realm.encode()), ('NtVer', struct.pack('<I', FULL))])
out['udp_bad_domain'] = cldap([('DnsDomain', b'no-such.example'), ('NtVer', struct.pack('<I', 0x6))])
# the client's site: a subnet object covering the client's address names the DC's site
base = ','.join('DC=' + l for l in realm.split('.'))
sites = 'CN=Sites,CN=Configuration,' + base
admin = Connection(Server(host, port=ldap_port), user=admin_dn, password=admin_pw, auto_bind=True)
admin.add('CN=127.0.0.0/8,CN=Subnets,' + sites, 'subnet', {'siteObject': 'CN=Default-First-Site-Name,' + sites})
out['add_subnet'] = admin.result['result']
out['tcp_with_subnet'] = ex(tcp_netlogon('(&(DnsDomain=%s)(NtVer=%s))' % (realm, ntver(FULL))))
print(json.dumps(out))
