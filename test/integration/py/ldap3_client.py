# Drives forestd with python-ldap3 (Debian python3-ldap3). Prints one JSON object with what it saw.
import json, sys, ssl
from ldap3 import Server, Connection, ALL, SUBTREE, BASE, MODIFY_REPLACE, MODIFY_ADD, MODIFY_DELETE, Tls
from ldap3.core.exceptions import LDAPException

url, base, user, password = sys.argv[1:5]
out = {}
server = Server(url, get_info=ALL)
conn = Connection(server, user=user, password=password, auto_bind=True, raise_exceptions=False)
out['bound'] = conn.bound
out['whoami'] = conn.extend.standard.who_am_i()
# schema read through subschemaSubentry (get_info=ALL)
out['schema_attribute_types'] = len(server.schema.attribute_types) if server.schema else 0
out['schema_object_classes'] = len(server.schema.object_classes) if server.schema else 0
out['naming_contexts'] = sorted(server.info.naming_contexts) if server.info else []
out['vendor_controls'] = len(server.info.supported_controls) if server.info else 0

ou = 'OU=Py,' + base
conn.add(ou, 'organizationalUnit')
out['add_ou'] = conn.result['result']
conn.add('CN=Bob,' + ou, ['user'], {'sAMAccountName': 'bob', 'givenName': 'Bob', 'description': 'py user'})
out['add_user'] = conn.result['result']
conn.modify('CN=Bob,' + ou, {'description': [(MODIFY_REPLACE, ['changed'])], 'mail': [(MODIFY_ADD, ['bob@example.com'])]})
out['modify'] = conn.result['result']
conn.modify('CN=Bob,' + ou, {'telephoneNumber': [(MODIFY_DELETE, ['12345'])]})
out['modify_missing_value'] = [conn.result['result'], conn.result['message'][:8]]
conn.search(ou, '(&(objectCategory=person)(sAMAccountName=bob))', SUBTREE, attributes=['description', 'mail', 'objectGUID', 'objectSid', 'whenCreated', 'uSNChanged'])
e = conn.entries[0] if conn.entries else None
out['search'] = None if e is None else {
    'dn': e.entry_dn,
    'description': str(e.description),
    'mail': str(e.mail),
    'sid': str(e.objectSid),
    'guid_len': len(e.objectGUID.raw_values[0]),
}
# paged search over the whole domain, on a connection that raises on any error result: a page
# that ends in an error must fail the script, not end the search early as if it were complete
strict = Connection(server, user=user, password=password, auto_bind=True, raise_exceptions=True)
entries = list(strict.extend.standard.paged_search(base, '(objectClass=*)', SUBTREE, attributes=['1.1'], paged_size=25, generator=True))
dns = [x['dn'] for x in entries if x.get('type') == 'searchResEntry']
out['paged_count'] = len(dns)
out['paged_unique'] = len(set(dns))
out['paged_result'] = strict.result['result']
strict.unbind()
conn.delete('CN=Bob,' + ou)
out['delete_user'] = conn.result['result']
conn.delete(ou)
out['delete_ou'] = conn.result['result']
bad = Connection(Server(url), user=user, password='wrong', raise_exceptions=False)
bad.bind()
out['bad_bind'] = [bad.result['result'], 'data 52e' in bad.result['message']]
conn.unbind()
print(json.dumps(out))
