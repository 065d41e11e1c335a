# Samba's own DC finder (python3-samba samba.net.Net.finddc): a CLDAP LDAP ping to UDP port 389
# with NtVer V5 | V5EX, the answer decoded by Samba's C NDR (pull_netlogon_samlogon_response,
# which skips the optional fields by NtVersion). Prints one JSON object.
# usage: finddc.py ADDRESS
import json, sys
from samba.net import Net
from samba.param import LoadParm
from samba.credentials import Credentials
from samba.dcerpc import nbt

lp = LoadParm()
creds = Credentials()
creds.guess(lp)
r = Net(creds, lp).finddc(address=sys.argv[1], flags=nbt.NBT_SERVER_LDAP | nbt.NBT_SERVER_DS | nbt.NBT_SERVER_WRITABLE)
print(json.dumps({'command': r.command, 'server_type': r.server_type, 'forest': r.forest, 'dns_domain': r.dns_domain, 'pdc_dns_name': r.pdc_dns_name, 'domain_name': r.domain_name, 'pdc_name': r.pdc_name, 'server_site': r.server_site, 'client_site': r.client_site, 'nt_version': r.nt_version}))
