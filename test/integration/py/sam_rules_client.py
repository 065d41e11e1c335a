# Drives forestd with python-ldap3 (Debian python3-ldap3) through the SAM rules and result codes
# of issue 13 (items 1-3). Prints one JSON object: for each case the LDAP result code and the
# first 8 characters of the diagnostic message (AD's Win32 code), plus values read back.
import json, sys
from ldap3 import Server, Connection, NONE, BASE, MODIFY_REPLACE, MODIFY_ADD, MODIFY_DELETE

url, base, user, password = sys.argv[1:5]
# get_info=NONE: no client-side schema checks, the server decides
conn = Connection(Server(url, get_info=NONE), user=user, password=password, auto_bind=True, raise_exceptions=False)
users = 'CN=Users,' + base
computers = 'CN=Computers,' + base
out = {}

def res():
    return [conn.result['result'], conn.result['message'][:8]]

def first(dn, attr):
    conn.search(dn, '(objectClass=*)', BASE, attributes=[attr])
    vals = conn.response[0]['raw_attributes'].get(attr, []) if conn.response else []
    return vals[0].decode() if vals else None

conn.add('CN=pyc1,' + computers, ['computer'])
out['computer_no_uac'] = res() + [first('CN=pyc1,' + computers, 'userAccountControl'), first('CN=pyc1,' + computers, 'primaryGroupID')]
conn.add('CN=pyu1,' + users, ['user'], {'userAccountControl': '256'})
out['uac_temp_duplicate'] = res()
conn.add('CN=pyu1,' + users, ['user'], {'userAccountControl': str(0x200 | 0x20 | 0x10 | 0x800000)})
out['uac_lockout_dropped'] = res() + [first('CN=pyu1,' + users, 'userAccountControl')]
conn.add('CN=pyu2,' + users, ['user'], {'primaryGroupID': '0'})
out['primary_group_0'] = res()
conn.add('CN=pyu2,' + users, ['user'], {'primaryGroupID': '513'})
out['primary_group_513'] = res()
conn.modify('CN=pyu2,' + users, {'pwdLastSet': [(MODIFY_REPLACE, ['5'])]})
out['pwdlastset_5'] = res()
conn.modify('CN=pyu2,' + users, {'pwdLastSet': [(MODIFY_REPLACE, ['0'])]})
out['pwdlastset_0'] = res()
conn.modify('CN=pyu2,' + users, {'sAMAccountName': [(MODIFY_DELETE, [])]})
out['delete_samaccountname'] = res()
conn.add('CN=pyg1,' + users, ['group'])
conn.modify('CN=pyg1,' + users, {'groupType': [(MODIFY_REPLACE, [str(-2147483644)])]})
out['global_to_local'] = res()
conn.modify('CN=pyg1,' + users, {'groupType': [(MODIFY_REPLACE, [str(-2147483640)])]})
out['global_to_universal'] = res()
conn.add('CN=pyg2,' + users, ['group'], {'description': ['a', 'b']})
out['group_two_descriptions'] = res()
conn.add('CN=pyk1,' + users, ['contact'], {'description': ['a', 'b']})
out['contact_two_descriptions'] = res()
conn.add('CN=pyg3,' + users, ['group'], {'primaryGroupToken': '100'})
out['primary_group_token'] = res()
conn.add('CN=pyc2,' + computers, ['computer'], {'cn': 'other'})
out['cn_not_rdn'] = res()
conn.add('CN=PyC3,' + computers, ['computer'], {'cn': 'pyc3'})
out['cn_rdn_case'] = res()
conn.add('CN=pyk2,' + users, ['contact'], {'thisdoesnotexist': 'x'})
out['unknown_attribute'] = res()
conn.add('CN=pyk3,' + users, ['contact'], {'instanceType': '4', 'name': 'whatever', 'whenCreated': '20000101000000.0Z'})
out['tolerated_attributes'] = res() + [first('CN=pyk3,' + users, 'name')]
conn.modify('CN=pyk1,' + users, {'displayName': [(MODIFY_REPLACE, ['a', 'b'])]})
out['single_valued_two'] = res()
conn.modify('CN=pyk1,' + users, {'displayName': [(MODIFY_REPLACE, ['a'])]})
out['single_valued_one'] = res()
# item 4: schema updates
schema = 'CN=Schema,CN=Configuration,' + base
attr = {'attributeID': '1.3.6.1.4.1.99999.1313.1', 'attributeSyntax': '2.5.5.12', 'oMSyntax': '64', 'isSingleValued': 'TRUE'}
conn.add('CN=py-Schema-Attr,' + schema, ['attributeSchema'], attr)
out['schema_add'] = res()
conn.add('CN=py-Schema-Attr,' + schema, ['attributeSchema'], dict(attr, attributeID='1.3.6.1.4.1.99999.1313.2'))
out['schema_duplicate_cn'] = res()
conn.add('CN=py-Schema-Attr2,' + schema, ['attributeSchema'], dict(attr, attributeID='1.3.6.1.4.1.99999.1313.3', **{'msDS-IntId': '-1993108831'}))
out['schema_preset_intid'] = res()
conn.unbind()
print(json.dumps(out))
