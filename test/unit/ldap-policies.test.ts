// lDAPAdminLimits of a query policy object (MS-ADTS 3.1.1.3.4.6) into the server's named limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LDAP_POLICIES, policiesFromAdminLimits, resolvePolicies } from '../../src/ldap/policies.js';

test('policiesFromAdminLimits takes the limits the server enforces and reports the others', () => {
  const { policies, ignored } = policiesFromAdminLimits(['MaxConnIdleTime=300', 'MaxPoolThreads=4', 'MaxReceiveBuffer=1048576', 'MaxConnectionsPerAddress=20', 'MaxPageSize=abc', 'MaxConnections=0', 'junk']);
  assert.deepEqual(policies, { MaxConnIdleTime: 300, MaxReceiveBuffer: 1_048_576, MaxConnectionsPerAddress: 20 });
  assert.deepEqual(ignored, ['MaxPoolThreads=4', 'MaxPageSize=abc', 'MaxConnections=0', 'junk']);
  const p = resolvePolicies(policies);
  assert.equal(p.MaxConnIdleTime, 300);
  // negative control: without the object's values the AD defaults stay
  assert.equal(resolvePolicies(policiesFromAdminLimits([]).policies).MaxConnIdleTime, DEFAULT_LDAP_POLICIES.MaxConnIdleTime);
});
