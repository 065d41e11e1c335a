# A paged search with python3-ldap3 while entries change between pages (MS-ADTS 3.1.1.3.4.1.1):
# prints one JSON object with what each page returned.
# usage: paged_reread.py URL BASE_DN ADMIN_DN PASSWORD
import json, sys
from ldap3 import Server, Connection, LEVEL, MODIFY_REPLACE

url, base, user, password = sys.argv[1:5]
c = Connection(Server(url), user=user, password=password, auto_bind=True, raise_exceptions=False)
ou = 'OU=PagedPy,' + base
c.add(ou, 'organizationalUnit')
for i in range(10):
    c.add('CN=pp%02d,%s' % (i, ou), 'user', {'sAMAccountName': 'pp%02d' % i, 'description': 'before'})
out = {}
c.search(ou, '(objectClass=user)', LEVEL, attributes=['description'], paged_size=3)
first = [e['dn'] for e in c.response if e['type'] == 'searchResEntry']
cookie = c.result['controls']['1.2.840.113556.1.4.319']['value']['cookie']
rest = sorted(set('CN=pp%02d,%s' % (i, ou) for i in range(10)) - set(first))
c.delete(rest[0])
c.modify(rest[1], {'description': [(MODIFY_REPLACE, ['after'])]})
c.search(ou, '(objectClass=user)', LEVEL, attributes=['description'], paged_size=100, paged_cookie=cookie)
second = {e['dn']: e['attributes']['description'] for e in c.response if e['type'] == 'searchResEntry'}
out['first'] = first
out['deleted'] = rest[0]
out['modified'] = rest[1]
out['second'] = {k: (v[0] if isinstance(v, list) else v) for k, v in second.items()}
out['last_cookie'] = len(c.result['controls']['1.2.840.113556.1.4.319']['value']['cookie'])
# the same cookie with another filter
c.search(ou, '(objectClass=user)', LEVEL, attributes=['description'], paged_size=3)
cookie = c.result['controls']['1.2.840.113556.1.4.319']['value']['cookie']
c.search(ou, '(description=before)', LEVEL, attributes=['description'], paged_size=3, paged_cookie=cookie)
out['changed_filter'] = [c.result['result'], c.result['message'][:8]]
print(json.dumps(out))
