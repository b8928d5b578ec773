const jwt = require('jsonwebtoken');
function isAdmin(req) {
  const claims = jwt.verify(req.token, process.env.JWT_SECRET, { algorithms: ['HS256'] });
  return claims.role === 'admin';
}
