# NTLM binds from Python clients nobody here wrote: ldap3 (authentication=NTLM, the Sicily bind)
# and impacket's LDAPConnection (Sicily), the latter also with NTLMv1 forced. Prints one JSON line.
# Needs MD4 from OpenSSL: run with OPENSSL_CONF enabling the legacy provider.
import json, sys
mode, host, port, domain, user, password = sys.argv[1:7]
out = {}
if mode == 'ldap3':
    from ldap3 import Server, Connection, NTLM, SUBTREE
    c = Connection(Server(host, port=int(port)), user=domain + '\\' + user, password=password, authentication=NTLM)
    out['bound'] = c.bind()
    out['result'] = c.result.get('result')
    out['message'] = c.result.get('message')
    if out['bound']:
        base = sys.argv[7]
        c.search(base, '(sAMAccountName=%s)' % user, SUBTREE, attributes=['sAMAccountName'])
        out['found'] = [str(e.sAMAccountName) for e in c.entries]
        out['whoami'] = c.extend.standard.who_am_i()
elif mode in ('impacket-v2', 'impacket-v1'):
    from impacket import ntlm
    from impacket.ldap import ldap as ildap
    if mode == 'impacket-v1':
        # use_ntlmv2's default is bound when impacket loads: force NTLMv1 where ldap.py calls it
        v3 = ildap.getNTLMSSPType3
        ildap.getNTLMSSPType3 = lambda *a, **k: v3(*a, **{**k, 'use_ntlmv2': False})
    try:
        # impacket's LDAPConnection always connects to port 389
        c = ildap.LDAPConnection('ldap://%s' % host, sys.argv[7])
        c.login(user, password, domain)
        out['bound'] = True
    except ildap.LDAPSessionError as e:
        out['bound'] = False
        out['error'] = str(e)
print(json.dumps(out))
