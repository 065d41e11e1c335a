// LDAP_SERVER_ASQ_OID (1.2.840.113556.1.4.1504), attribute scoped query, MS-ADTS 3.1.1.3.4.1.18:
// with base scope, the search runs over the objects named by the DN values of one attribute of
// the base object instead of over the base, and returns those that match the filter. The
// response control carries the ASQ result: success, invalidAttributeSyntax (the attribute is
// not DN-valued), unwillingToPerform (scope other than base) or affectsMultipleDSAs.
import { ASQ_OID, asqControl } from '../../../ldap/controls/asq.js';
import { responseControl } from '../../../ldap/controls/index.js';
import type { Control } from '../../../ldap/protocol/messages.js';
import { ResultCode, type LdapError } from '../../../ldap/protocol/result-codes.js';
import type { DSName, DNBinary } from '../../../schema/syntaxes/syntax.js';
import type { ObjectView } from '../../object-view.js';
import { AdError } from '../../errors.js';

export const ASQ_OIDS = [ASQ_OID] as const;

export function asqResponse(result: number): Control {
  return responseControl(asqControl, { searchResult: result });
}

function withControl(e: LdapError, result: number): LdapError {
  (e as LdapError & { controls?: Control[] }).controls = [asqResponse(result)];
  return e;
}

/** MS-ADTS 3.1.1.3.4.1.18: ASQ requires base scope. */
export function asqScopeError(): LdapError {
  return withControl(AdError.unwillingToPerform('dsa.search.asq', 'attribute scoped query requires base scope'), ResultCode.unwillingToPerform);
}

/** The objectGUIDs the base object's `attribute` names, in value order. */
export function asqTargets(base: ObjectView, attribute: string): Buffer[] {
  const info = base.rc.dir.schema.attr(attribute);
  if (!info || !info.syntax.isReference || info.secret) {
    throw withControl(AdError.invalidAttributeSyntax('dsa.search.asq', info?.id ?? 0, attribute, 'the ASQ source attribute must hold DNs'), ResultCode.invalidAttributeSyntax);
  }
  const out: Buffer[] = [];
  for (const v of base.values(info)) {
    const x = v as DSName & Partial<DNBinary>;
    out.push(Buffer.from(x.ref ? x.ref.guid : x.guid));
  }
  return out;
}
