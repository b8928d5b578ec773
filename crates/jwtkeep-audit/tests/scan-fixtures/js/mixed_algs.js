const jwt = require('jsonwebtoken');
const key = require('fs').readFileSync('keys/public.pem');
module.exports = (t) => jwt.verify(t, key, { algorithms: ['RS256', 'HS256'] }); // jwtkeep:expect jwt-mixed-algorithms
