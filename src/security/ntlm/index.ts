export * from './constants.js';
export * from './errors.js';
export * from './messages.js';
export * from './ntlmv2.js';
export * from './session-security.js';
export * from './acceptor.js';
