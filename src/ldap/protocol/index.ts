/** LDAPv3 protocol codec (RFC 4511): public surface. */
export * from './messages.js';
export * from './codec.js';
export * from './filter.js';
export * from './filter-string.js';
export * from './framer.js';
export * from './errors.js';
export * from './oids.js';
export * from './result-codes.js';
export { BerError, isBerError } from '../../ber/errors.js';
