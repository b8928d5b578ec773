const jwt = require('jsonwebtoken');
const config = {
  jwtSecret: 'super-secret-key', // jwtkeep:expect jwt-hardcoded-secret
  port: 3000,
};
module.exports.issue = (u) => jwt.sign({ sub: u }, config.jwtSecret, { expiresIn: '1h' });
