#!/usr/bin/python3
# The outside oracle for forestd's NDR: Samba's own NDR code (python3-samba).
# stdin: a JSON array of cases {"kind": "struct"|"in"|"out", "module": "drsuapi"|"drsblobs",
# "type": class name, "hex": stub}. For each, Samba decodes the bytes, packs what it decoded
# again, and describes the decoded value: stdout is a JSON array of
# {"ok": true, "hex": repacked, "value": description} or {"ok": false, "error": text}.
# A case may also be {"op": "build", ...}: Samba builds a value from a description and packs it
# (the other direction: Samba packs, forestd decodes).
import json, sys
from samba.ndr import ndr_pack, ndr_unpack
from samba.dcerpc import drsuapi, drsblobs, misc, security

MODULES = {"drsuapi": drsuapi, "drsblobs": drsblobs}

def describe(v, depth=0):
    if depth > 60:
        return "<deep>"
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
        return str(v)  # JSON numbers lose precision past 2^53: big integers travel as text
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, (list, tuple)):
        return [describe(x, depth + 1) for x in v]
    if isinstance(v, misc.GUID):
        return str(v)
    if isinstance(v, security.dom_sid):
        return str(v)
    out = {}
    for k in dir(v):
        if k.startswith("_"):
            continue
        try:
            x = getattr(v, k)
        except Exception:
            continue
        if callable(x):
            continue
        out[k] = describe(x, depth + 1)
    return out

def run(c):
    mod = MODULES[c["module"]]
    cls = getattr(mod, c["type"])
    blob = bytes.fromhex(c["hex"])
    if c["kind"] == "struct":
        v = ndr_unpack(cls, blob)
        return {"ok": True, "hex": ndr_pack(v).hex(), "value": describe(v)}
    f = cls()
    if c["kind"] == "in":
        f.__ndr_unpack_in__(blob)
        return {"ok": True, "hex": f.__ndr_pack_in__().hex(), "value": describe(f)}
    f.__ndr_unpack_out__(blob)
    return {"ok": True, "hex": f.__ndr_pack_out__().hex(), "value": describe(f)}

_schema = []

def drs_attribute(c):
    """Samba's own LDAP -> DRS conversion of one attribute's values (its dsdb syntax code, with
    its bundled AD schema and prefix map): the oracle for forestd's wire values."""
    if not _schema:
        from samba.schema import Schema
        _schema.append(Schema(security.dom_sid("S-1-5-21-1-2-3"), schemadn="CN=Schema,CN=Configuration,DC=x,DC=y", base_schema="2012_R2"))
    from samba import dsdb
    a = dsdb._dsdb_DsReplicaAttribute(_schema[0].ldb, c["attr"], [bytes.fromhex(v) for v in c["values"]])
    return {"ok": True, "hex": "", "value": {"attid": a.attid, "values": [v.blob.hex() for v in a.value_ctr.values]}}

def main():
    cases = json.load(sys.stdin)
    out = []
    for c in cases:
        try:
            if c.get("op") == "drsattr":
                out.append(drs_attribute(c))
            elif c.get("op") == "build":
                ns = {"drsuapi": drsuapi, "drsblobs": drsblobs, "misc": misc, "security": security, "ndr_pack": ndr_pack}
                exec(c["code"], ns)
                out.append({"ok": True, "hex": ns["result"].hex()})
            else:
                out.append(run(c))
        except Exception as e:
            out.append({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout)

main()
