const jwt = require('jsonwebtoken');
const prefix = 'acme';
const signingKey = `${prefix}-signing-key`; // jwtkeep:expect jwt-hardcoded-secret
exports.sign = (p) => jwt.sign(p, signingKey, { expiresIn: 900 });
