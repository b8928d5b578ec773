const jwt = require('jsonwebtoken');
const SECRET = "changeme"; // jwtkeep:expect jwt-hardcoded-secret
function login(user) {
  return jwt.sign({ sub: user.id }, SECRET, { expiresIn: '15m', algorithm: 'HS256' });
}
