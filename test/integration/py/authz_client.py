# Drives forestd's authorization matrix with python-ldap3 (Debian python3-ldap3) and
# python3-samba (security descriptors). Reads a JSON list of steps on stdin, runs them in order
# over LDAPS, prints one JSON object: {step id: {"code", "win32", "entries", "values"}}.
#
# A step: {"id", "as": principal name, "op": ..., ...}. Principals are logged in by "login"
# steps ({"name", "user", "password"}); "rebind" makes a new connection (a new token).
# Placeholders in strings: {base} the domain DN, {sid:NAME} the objectSid of sAMAccountName NAME.
import json, re, ssl, sys
from ldap3 import NONE, Server, Connection, BASE, LEVEL, SUBTREE, MODIFY_REPLACE, MODIFY_ADD, MODIFY_DELETE, Tls
from ldap3.protocol.microsoft import security_descriptor_control, dir_sync_control
from samba.dcerpc import security
from samba.ndr import ndr_unpack, ndr_pack

ldaps_url, ldap_url, base = sys.argv[1:4]
steps = json.load(sys.stdin)
tls = Tls(validate=ssl.CERT_NONE)
server = Server(ldaps_url, use_ssl=True, tls=tls, get_info=NONE)  # no schema: ldap3 would validate values itself
anon_server = Server(ldap_url, get_info=NONE)
creds = {}
conns = {}
sids = {}
out = {}
SCOPES = {'base': BASE, 'one': LEVEL, 'sub': SUBTREE}
OPS = {'replace': MODIFY_REPLACE, 'add': MODIFY_ADD, 'delete': MODIFY_DELETE}


def conn_of(name):
    if name == 'anonymous':
        if name not in conns:
            conns[name] = Connection(anon_server, auto_bind=True, raise_exceptions=False)
        return conns[name]
    if name not in conns:
        user, pw = creds[name]
        conns[name] = Connection(server, user=user, password=pw, auto_bind=True, raise_exceptions=False)
    return conns[name]


def sid_of(name):
    if name not in sids:
        c = conn_of('admin')
        c.search(base, '(sAMAccountName=%s)' % name, SUBTREE, attributes=['objectSid'])
        raw = c.response[0]['raw_attributes']['objectSid'][0]
        sids[name] = str(ndr_unpack(security.dom_sid, raw))
    return sids[name]


def fill(s):
    if not isinstance(s, str):
        return s
    s = s.replace('{base}', base)
    return re.sub(r'\{sid:([^}]+)\}', lambda m: sid_of(m.group(1)), s)


def value(v):
    if isinstance(v, dict) and 'pwd' in v:
        return ('"%s"' % v['pwd']).encode('utf-16-le')
    if isinstance(v, dict) and 'sddl' in v:
        dom = security.dom_sid(sid_of('Administrator').rsplit('-', 1)[0])
        return ndr_pack(security.descriptor.from_sddl(fill(v['sddl']), dom))
    return fill(v)


def controls(step):
    cs = []
    if 'sdflags' in step:
        cs.extend(security_descriptor_control(sdflags=step['sdflags']))
    if step.get('dirsync'):
        cs.append(dir_sync_control(criticality=True, object_security=step.get('object_security', False), ancestors_first=True, public_data_only=False, incremental_values=True, max_length=1048576, cookie=None))
    return cs or None


def entries_of(c):
    res = []
    for e in c.response or []:
        if e.get('type') != 'searchResEntry':
            continue
        attrs = {}
        for k, vs in e['raw_attributes'].items():
            if not vs:
                continue  # ldap3 lists requested attributes the server did not return with no values
            vals = []
            for x in vs:
                if k.lower() in ('objectsid', 'tokengroups', 'tokengroupsglobalanduniversal', 'tokengroupsnogcacceptable'):
                    vals.append(str(ndr_unpack(security.dom_sid, x)))
                elif k.lower() == 'ntsecuritydescriptor':
                    vals.append(ndr_unpack(security.descriptor, x).as_sddl())
                else:
                    try:
                        vals.append(x.decode('utf-8'))
                    except UnicodeDecodeError:
                        vals.append(x.hex())
            attrs[k] = vals
        res.append({'dn': e['dn'], 'attrs': attrs})
    return res


def add_ace(step):
    # read the DACL, put the ACE first (explicit ACEs first, MS-ADTS 6.1.3.1), write the DACL back
    c = conn_of('admin')
    dn = fill(step['dn'])
    c.search(dn, '(objectClass=*)', BASE, attributes=['nTSecurityDescriptor'], controls=security_descriptor_control(sdflags=0x4))
    sd = ndr_unpack(security.descriptor, c.response[0]['raw_attributes']['nTSecurityDescriptor'][0])
    dom = security.dom_sid(sid_of('Administrator').rsplit('-', 1)[0])
    sddl = sd.as_sddl(dom)
    m = re.match(r'^(.*?D:[A-Z]*)(.*)$', sddl)
    head, rest = m.group(1), m.group(2)
    if step.get('protect'):
        head = head.replace('D:', 'D:P', 1)
        rest = ''.join(a for a in re.findall(r'\([^)]*\)', rest.split('S:')[0]) if ';ID;' not in a and 'ID;' not in a.split(';')[1])
    new = ndr_pack(security.descriptor.from_sddl(head + fill(step['ace']) + rest, dom))
    c.modify(dn, {'nTSecurityDescriptor': [(MODIFY_REPLACE, [new])]}, controls=security_descriptor_control(sdflags=0x4))
    return c


for step in steps:
    op = step['op']
    sid = step['id']
    if op == 'login':
        creds[step['name']] = (fill(step['user']), step['password'])
        conns.pop(step['name'], None)
        continue
    if op == 'rebind':
        conns.pop(step['as'], None)
        conn_of(step['as'])
        continue
    try:
        c = conn_of(step.get('as', 'admin')) if op != 'addace' else None
    except Exception as e:  # a bind that fails: the step reports it instead of the whole run failing
        out[sid] = {'code': -1, 'win32': '', 'entries': [], 'error': str(e)}
        continue
    if op == 'search':
        c.search(fill(step['base']), fill(step.get('filter', '(objectClass=*)')), SCOPES[step.get('scope', 'base')], attributes=step.get('attrs', ['1.1']), controls=controls(step))
    elif op == 'add':
        attrs = {k: [value(x) for x in (v if isinstance(v, list) else [v])] for k, v in step['attrs'].items()}
        c.add(fill(step['dn']), attributes=attrs, controls=controls(step))
    elif op == 'modify':
        changes = {}
        for ch in step['changes']:
            changes.setdefault(ch[1], []).append((OPS[ch[0]], [value(x) for x in ch[2]]))
        c.modify(fill(step['dn']), changes, controls=controls(step))
    elif op == 'delete':
        cs = [('1.2.840.113556.1.4.805', True, None)] if step.get('tree') else None
        c.delete(fill(step['dn']), controls=cs)
    elif op == 'modrdn':
        c.modify_dn(fill(step['dn']), fill(step['rdn']), new_superior=fill(step['superior']) if 'superior' in step else None)
    elif op == 'compare':
        c.compare(fill(step['dn']), step['attr'], value(step['value']))
    elif op == 'addace':
        c = add_ace(step)
    else:
        raise SystemExit('unknown op ' + op)
    r = c.result
    out[sid] = {'code': r['result'], 'win32': (r.get('message') or '')[:8], 'entries': entries_of(c) if op == 'search' else []}

print(json.dumps(out))
