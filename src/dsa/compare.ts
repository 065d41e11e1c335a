// LDAP Compare (RFC 4511 4.10, MS-ADTS 3.1.1.3): the assertion is checked with the
// attribute's equality rule, over the same values a search would see.
import { accessFor } from './access/requester.js';
import { mustSee } from './access/checks.js';
import type { CompareRequest } from '../ldap/protocol/messages.js';
import type { Directory } from './directory.js';
import type { OperationContext } from './api.js';
import { AdError } from './errors.js';
import { ReadContext } from './object-view.js';
import { attrOf } from './values.js';
import { checkControls } from './controls.js';

export async function compare(dir: Directory, req: CompareRequest, ctx: OperationContext): Promise<boolean> {
  const place = 'dsa.compare';
  checkControls(ctx.controls, 'compare');
  const r = dir.store.snapshot();
  try {
    const guid = dir.resolve(r, req.entry, place);
    const info = attrOf(dir.schema, req.attributeDesc, place);
    if (info.secret) throw AdError.insufficientAccess(place, `${info.name} cannot be compared`);
    if (!info.syntax.rule.equalityMatch) throw AdError.inappropriateMatching(place, `${info.name} has no equality rule`);
    const rc = new ReadContext(dir, r);
    const view = rc.view(guid)!;
    // MS-ADTS 3.1.1.4.3: the object must be visible and the attribute readable
    const acc = accessFor(dir, r, ctx);
    if (acc) {
      mustSee(acc, guid, view.rec, place);
      if (!acc.mayRead(view.rec, info)) throw AdError.insufficientAccess(place);
    }
    const assertion = info.syntax.assertion(req.assertionValue, rc.ctx);
    if (assertion === undefined) throw AdError.invalidAttributeSyntax(place, info.id, info.name, 'the assertion value is not valid for the attribute');
    const key = info.syntax.normalize(assertion);
    const values = view.values(info);
    if (values.length === 0) throw AdError.noSuchAttribute(place, info.id, info.name);
    return values.some((v) => info.syntax.normalize(v).equals(key));
  } finally {
    r.done();
  }
}
