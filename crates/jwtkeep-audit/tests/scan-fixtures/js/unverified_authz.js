const jwt = require('jsonwebtoken');
function isAdmin(req) {
  const claims = jwt.decode(req.headers.authorization.slice(7)); // jwtkeep:expect jwt-decode-without-verify
  return claims.role === 'admin'; // jwtkeep:expect jwt-unverified-claims
}
