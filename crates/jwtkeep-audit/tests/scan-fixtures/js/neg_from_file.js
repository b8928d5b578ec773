const fs = require('fs');
const jwt = require('jsonwebtoken');
const privateKey = fs.readFileSync('/run/secrets/jwt_private.pem');
exports.sign = (p) => jwt.sign(p, privateKey, { algorithm: 'ES256', expiresIn: '10m' });
