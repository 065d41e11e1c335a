// The comparison rules of MS-ADTS 3.1.1.2.2.4 "Supported Comparison Operations", as data:
// which choices of an LDAP filter (RFC 2251 4.5.1) each rule supports. "and", "or" and "not"
// are not comparisons and are not listed. Active Directory treats approxMatch as
// equalityMatch. The extensible matches are the three matching rules of 3.1.1.3.4.4.

export type RuleName =
  | 'Bool'
  | 'Integer'
  | 'DN-String'
  | 'DN-Binary'
  | 'DN'
  | 'PresentationAddress'
  | 'Octet'
  | 'CaseString'
  | 'SecDesc'
  | 'OID'
  | 'Sid'
  | 'NoCaseString'
  | 'UnicodeString'
  | 'Time';

export type FilterChoice =
  | 'present'
  | 'equalityMatch'
  | 'approxMatch'
  | 'lessOrEqual'
  | 'greaterOrEqual'
  | 'substrings'
  | 'bitAnd'
  | 'bitOr'
  | 'transitiveEval';

/** LDAP_MATCHING_RULE_* OIDs (MS-ADTS 3.1.1.3.4.4). */
export const LDAP_MATCHING_RULE_BIT_AND = '1.2.840.113556.1.4.803';
export const LDAP_MATCHING_RULE_BIT_OR = '1.2.840.113556.1.4.804';
export const LDAP_MATCHING_RULE_TRANSITIVE_EVAL = '1.2.840.113556.1.4.1941';

export interface ComparisonRule {
  readonly name: RuleName;
  readonly present: boolean;
  readonly equalityMatch: boolean;
  /** always equal to equalityMatch: AD treats approxMatch as equalityMatch */
  readonly approxMatch: boolean;
  readonly lessOrEqual: boolean;
  readonly greaterOrEqual: boolean;
  readonly substrings: boolean;
  readonly bitAnd: boolean;
  readonly bitOr: boolean;
  /** TRANSITIVE_EVAL: only on link attributes (Undefined otherwise), see transitiveEvalLinkOnly */
  readonly transitiveEval: boolean;
  readonly transitiveEvalLinkOnly: boolean;
}

// Columns in the order of the spec's three-part table:
// present, equalityMatch, approxMatch | lessOrEqual, greaterOrEqual, substrings | BIT_AND, BIT_OR, TRANSITIVE_EVAL
type Row = [RuleName, string];
const TABLE: Row[] = [
  ['Bool', 'XXX XX- ---'],
  ['Integer', 'XXX XX- XX-'],
  ['DN-String', 'XXX --- --*'],
  ['DN-Binary', 'XXX --- --*'],
  ['DN', 'XXX --- --*'],
  ['PresentationAddress', 'XXX --- ---'],
  ['Octet', 'XXX XXX ---'],
  ['CaseString', 'XXX XXX ---'],
  ['SecDesc', 'X-- --- ---'],
  ['OID', 'XXX --- ---'],
  ['Sid', 'XXX XXX ---'],
  ['NoCaseString', 'XXX XXX ---'],
  ['UnicodeString', 'XXX XXX ---'],
  ['Time', 'XXX XX- ---'],
];

function build(name: RuleName, marks: string): ComparisonRule {
  const m = marks.replace(/ /g, '');
  const on = (i: number) => m[i] !== '-';
  return Object.freeze({
    name,
    present: on(0),
    equalityMatch: on(1),
    approxMatch: on(2),
    lessOrEqual: on(3),
    greaterOrEqual: on(4),
    substrings: on(5),
    bitAnd: on(6),
    bitOr: on(7),
    transitiveEval: on(8),
    transitiveEvalLinkOnly: m[8] === '*',
  });
}

/** Every comparison rule of MS-ADTS 3.1.1.2.2.4, by name. */
export const RULES: Readonly<Record<RuleName, ComparisonRule>> = Object.freeze(
  Object.fromEntries(TABLE.map(([n, m]) => [n, build(n, m)])) as Record<RuleName, ComparisonRule>,
);

/**
 * Whether a filter choice may be evaluated under a rule. A choice the rule does not support
 * makes the filter item Undefined. For transitiveEval pass isLinkAttribute: the rule
 * supports it only on link attributes (the table's footnote *).
 */
export function supports(rule: ComparisonRule, choice: FilterChoice, isLinkAttribute = false): boolean {
  if (choice === 'transitiveEval') return rule.transitiveEval && (!rule.transitiveEvalLinkOnly || isLinkAttribute);
  return rule[choice];
}

/** The filter choice an extensibleMatch matching rule OID stands for, if AD knows it. */
export function extensibleChoice(matchingRuleOid: string): FilterChoice | undefined {
  switch (matchingRuleOid) {
    case LDAP_MATCHING_RULE_BIT_AND:
      return 'bitAnd';
    case LDAP_MATCHING_RULE_BIT_OR:
      return 'bitOr';
    case LDAP_MATCHING_RULE_TRANSITIVE_EVAL:
      return 'transitiveEval';
    default:
      return undefined;
  }
}
