# One DirSync cycle with python-ldap3's own DirSync client (connection.extend.microsoft.dir_sync),
# paging until MoreResults is false. Prints JSON: the entries seen and the final cookie.
import base64, json, sys
from ldap3 import Server, Connection

url, base, user, password, cookie_b64, incremental, max_length = sys.argv[1:8]
conn = Connection(Server(url), user=user, password=password, auto_bind=True, raise_exceptions=True)
cookie = base64.b64decode(cookie_b64) if cookie_b64 else None
sync = conn.extend.microsoft.dir_sync(base, '(objectClass=*)', attributes=['*'], cookie=cookie,
                                      incremental_values=incremental == '1', max_length=int(max_length))
entries = []
pages = 0
while sync.more_results:
    pages += 1
    for e in sync.loop():
        if e.get('type') != 'searchResEntry':
            continue
        attrs = {}
        for k, vs in e['raw_attributes'].items():
            attrs[k] = [v.decode('utf-8', 'replace') if k.lower() not in ('objectguid', 'objectsid', 'ntsecuritydescriptor', 'parentguid') else v.hex() for v in (vs or [])]
        entries.append({'dn': e['dn'], 'attrs': attrs})
    if pages > 10000:
        raise SystemExit('too many pages')
print(json.dumps({'entries': entries, 'pages': pages, 'cookie': base64.b64encode(sync.cookie or b'').decode()}))
