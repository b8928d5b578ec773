const jwt = require('jsonwebtoken');
function issue(user) {
  return jwt.sign({ id: user.id, role: user.role }, process.env.JWT_SECRET); // jwtkeep:expect jwt-no-expiry
}
