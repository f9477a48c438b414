'use strict';
/**
 * The sample's @policy decisions (authorization.policyModule in junction.sample.yaml). Called with
 * the policy name, the caller's identity ({ clientId, scopes, claims, via }) and the request; may
 * return a promise. Anything but `true` denies.
 */
module.exports = function evaluatePolicy(policy, identity) {
  switch (policy) {
    // Product.supplierCost: staff tokens carry the internal:read scope.
    case 'internal':
      return identity.scopes.includes('internal:read');
    default:
      return false;
  }
};
